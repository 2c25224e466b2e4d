"""`manage.py sync_assignments`: release and record every homework under ASSIGNMENTS_DIR (idempotent, safe at start)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseweb.courses.selectors import offering_current, offering_get
from courseweb.homework.services.assignments import assignments_sync

ERR_NO_OFFERING = "No offering exists yet: run `manage.py load_course` first."


class Command(BaseCommand):
    help = "Sync homework from ASSIGNMENTS_DIR: build each release, create/update its coursework item."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--offering", help="offering slug (default: the current offering)")
        parser.add_argument("--dir", help="assignments folder (default: the ASSIGNMENTS_DIR setting)")
        parser.add_argument("--strict", action="store_true", help="exit non-zero if any assignment fails")

    def handle(self, *args, **options) -> None:
        offering = offering_get(slug=options["offering"]) if options["offering"] else offering_current()
        if offering is None:
            raise CommandError(ERR_NO_OFFERING)
        report = assignments_sync(offering=offering, root=Path(options["dir"]) if options["dir"] else None)
        for key in report.created:
            self.stdout.write(f"created {key}")
        for key in report.updated:
            self.stdout.write(f"updated {key}")
        for error in report.errors:
            self.stderr.write(error)
        self.stdout.write(f"sync_assignments: {report.summary()}")
        if options["strict"] and report.errors:
            raise CommandError(f"{len(report.errors)} assignment(s) failed to sync")
