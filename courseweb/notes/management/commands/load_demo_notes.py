"""`manage.py load_demo_notes [--season S26]`: publish the demo course's own notes (lecture_notes/demo/)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from courseweb.courses.models import Offering
from courseweb.courses.selectors import offering_current
from courseweb.notes.scribing import notes_demo_load


class Command(BaseCommand):
    help = "Publish the demo notes for sessions of an offering (default: the current one); idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--season", help="offering slug (default: the current offering)")

    def handle(self, *args, season: str | None = None, **options) -> None:
        offering = Offering.objects.filter(slug=season.lower()).first() if season else offering_current()
        if offering is None:
            raise CommandError("No offering found; load the course file first.")
        notes = notes_demo_load(offering=offering)
        if not notes:
            self.stdout.write(f"No demo notes loaded: {offering.slug} has none of the demo notes' sessions.")
        for note in notes:
            self.stdout.write(f"session {note.session.number}: {note.title} ({note.get_status_display()})")
