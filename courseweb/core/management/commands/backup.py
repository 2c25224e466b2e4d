"""`manage.py backup FILE.tar.gz`: the database and every stored file in one archive (see courseweb.core.backup)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from courseweb.core.backup import backup_create


class Command(BaseCommand):
    help = (
        "Write the database's rows and the stored files (media, the OIDC signing key) to one .tar.gz archive."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "archive", help="where to write the backup, e.g. backups/dote6635-2026-12-07.tar.gz"
        )

    def handle(self, *args, **options) -> None:
        report = backup_create(Path(options["archive"]))
        rows = sum(report.rows.values())
        self.stdout.write(
            f"Backed up {rows} rows in {len(report.rows)} tables and {report.files} files "
            f"({report.bytes / 2**20:.1f} MB) to {report.path}"
        )
