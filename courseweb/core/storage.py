"""The S3-compatible backend of the stored files (COURSEWEB_STORAGE=s3; see deploy/README.md "Storage").

settings.base puts two aliases in STORAGES: `homework` (courseweb/homework/storage.py) and `materials`
(courseweb/lectures/storage.py). With COURSEWEB_STORAGE=s3 both are this class, each under its own prefix of one
private bucket, so that hosts without a shared volume (web, workers) see the same files. The bucket is never
linked to: views read the bytes through the storage after their access checks, and `url` refuses.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """django-storages' S3 storage whose files are only ever sent by the site's views."""

    def url(self, name, *args, **kwargs):
        raise NotImplementedError("stored files are sent by views that check access, never by a bucket URL")
