"""`manage.py restore FILE.tar.gz [--force]`: put back what `manage.py backup` saved (see courseweb.core.backup)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseweb.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore the database's rows and the stored files from a backup archive. The archive is checked first; "
        "a database that already holds data is replaced only with --force."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="a .tar.gz written by `manage.py backup`")
        parser.add_argument("--force", action="store_true", help="replace a database that already holds data")

    def handle(self, *args, **options) -> None:
        try:
            manifest = backup_restore(Path(options["archive"]), force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored {sum(manifest['rows'].values())} rows and {len(manifest['sha256']) - 1} files "
            f"from the backup of {manifest['created_at']}."
        )
