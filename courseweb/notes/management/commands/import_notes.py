"""`manage.py import_notes FILE --season S25`: import a scribed-notes text file as that offering's book.

Idempotent: importing the same file again changes nothing.  Prints what could not be placed, and ends with the
line `chapters: C, headings: H/T matched, equations: E, tables: B, problems: P`.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseweb.courses.models import Offering
from courseweb.notes.services import book_import

SEASON_NAMES = {"s": "Spring", "f": "Fall", "u": "Summer", "w": "Winter"}


class Command(BaseCommand):
    help = "Import a scribed-notes text file (e.g. the Spring 2025 book) as an offering's notes book."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--season", required=True, help="offering slug, e.g. S25 (created if missing)")

    def handle(self, *args, file: Path, season: str, **options) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        slug = season.lower()
        season_name = slug
        if len(slug) == 3 and slug[0] in SEASON_NAMES and slug[1:].isdigit():
            season_name = f"{SEASON_NAMES[slug[0]]} 20{slug[1:]}"
        offering, _ = Offering.objects.get_or_create(
            slug=slug, defaults={"title": "AI for Business Research", "season": season_name}
        )
        result = book_import(offering=offering, text=file.read_text(encoding="utf-8"))
        if not result.changed:
            self.stdout.write(f"{file} is already imported for {offering.slug}; nothing changed.")
        for line in result.report_lines:
            self.stdout.write(line)
