"""`manage.py create_signup_sheets --opens "2026-01-08 09:00" --closes "2026-01-31 23:59"`: the standard sheets.

Times are Hong Kong time.  Kinds the offering already has are left alone, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courseweb.courses.models import Offering
from courseweb.courses.selectors import offering_current
from courseweb.signups.services import SignupError
from courseweb.signups.staff import sheets_create_standard


def _moment(text: str) -> dt.datetime:
    try:
        naive = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError as exc:
        raise CommandError(
            f"Expected a time like '2026-01-08 09:00' (Hong Kong time), got {text!r}."
        ) from exc
    return timezone.make_aware(naive, timezone.get_default_timezone())


class Command(BaseCommand):
    help = "Create the scribing, paper replication and final project sign-up sheets from the sessions."

    def add_arguments(self, parser):
        parser.add_argument("--offering", help="offering slug (default: the current offering)")
        parser.add_argument("--opens", required=True, help="opening time, 'YYYY-MM-DD HH:MM' Hong Kong time")
        parser.add_argument("--closes", required=True, help="closing time, 'YYYY-MM-DD HH:MM' Hong Kong time")

    def handle(self, *args, **options):
        slug = options.get("offering")
        offering = Offering.objects.filter(slug=slug).first() if slug else offering_current()
        if offering is None:
            raise CommandError(f"No offering {slug!r}." if slug else "No offering is loaded.")
        try:
            sheets = sheets_create_standard(
                offering=offering,
                staff=None,
                opens_at=_moment(options["opens"]),
                closes_at=_moment(options["closes"]),
            )
        except SignupError as exc:
            raise CommandError(str(exc)) from exc
        for sheet in sheets:
            self.stdout.write(f"created: {sheet.title} ({sheet.slots.count()} slots)")
        self.stdout.write(f"created {len(sheets)} sheet(s)")
