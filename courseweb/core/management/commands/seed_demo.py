"""`manage.py seed_demo [--today YYYY-MM-DD] [--no-grading]`: build the demo offering and print the logins."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from courseweb.core.demo import DemoGradingError, demo_build, demo_today


class Command(BaseCommand):
    help = (
        "Create or move the demo offering (dates around today; DEMO_TODAY overrides today), the demo instructor, "
        "TA and students (known passwords), and print their logins. Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--today", help="the demo's today, YYYY-MM-DD (default: DEMO_TODAY, else today)")
        parser.add_argument(
            "--no-grading", action="store_true", help="skip grading the demo group's past homework"
        )

    def handle(self, *args, **options) -> None:
        try:
            today = dt.date.fromisoformat(options["today"]) if options.get("today") else demo_today()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            report = demo_build(today=today, grade=not options.get("no_grading"))
        except DemoGradingError as exc:  # the site still works; the graded example is missing
            self.stderr.write(f"warning: {exc}")
            report = exc.report
        self.stdout.write(f"Demo course {report.offering.slug!r} around {today:%a %d %b %Y}:")
        for line in report.lines:
            self.stdout.write(f"- {line}")
        self.stdout.write("Demo logins (username / password):")
        for person, password in report.people:
            self.stdout.write(f"  {person.role:<10} {person.username:<11} {password}   ({person.name})")
