"""`manage.py import_papers FILE [--format F]`: import a paper list and print the import report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courseweb.accounts.models import User
from courseweb.papers.importers import FORMAT_CHOICES, FormatError
from courseweb.papers.services import paper_import_text


class Command(BaseCommand):
    help = (
        "Import papers from a scholar profile, arXiv listing, trending page, BibTeX file or list of ids/DOIs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import (UTF-8 text)")
        parser.add_argument(
            "--format", choices=FORMAT_CHOICES, help="the file's format (detected when omitted)"
        )
        parser.add_argument("--user", help="e-mail or username of the staff member to record as importer")
        parser.add_argument(
            "--captured-on",
            type=dt.date.fromisoformat,
            help="YYYY-MM-DD the page was copied; scholar profiles omit the current year from dates",
        )

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise CommandError(f"{path}: no such file") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{path}: not UTF-8 text") from error
        user = None
        if options["user"]:
            user = (
                User.objects.filter(email=options["user"]).first()
                or User.objects.filter(username=options["user"]).first()
            )
            if user is None:
                raise CommandError(f"no user {options['user']}")
        fmt, captured_on = options["format"], options["captured_on"]
        try:
            batch = paper_import_text(
                text=text,
                fmt=str(fmt) if fmt else None,
                filename=path.name,
                user=user,
                capture_date=captured_on if isinstance(captured_on, dt.date) else None,
            )
        except (FormatError, ValueError) as error:
            raise CommandError(f"{path}: {error}") from error
        self.stdout.write(batch.report)
