"""`manage.py import_roster FILE.csv [--offering SLUG] [--no-invite]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseweb.accounts.models import User
from courseweb.accounts.services import roster_import
from courseweb.courses.models import Offering
from courseweb.courses.selectors import offering_current


class Command(BaseCommand):
    help = "Create accounts and enrollments from a CSV roster and e-mail set-password invitations."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--offering", help="offering slug (default: the current offering)")
        parser.add_argument("--no-invite", action="store_true", help="do not send invitation e-mails")
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="whose import this is (logged with each role change; anyone but the instructor adds students "
            "only); default: the server's operator, with the instructor's authority",
        )

    def handle(
        self, *args, file: Path, offering: str | None, no_invite: bool, by: str | None = None, **options
    ):
        target = Offering.objects.filter(slug=offering).first() if offering else offering_current()
        if target is None:
            raise CommandError("No such offering; load the course file first (manage.py load_course).")
        actor = None
        if by:
            actor = User.objects.filter(username__iexact=by).first()
            if actor is None:
                raise CommandError(f"No account with the username {by!r}.")
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: cannot read the roster ({exc})") from None
        report = roster_import(
            offering=target, csv_text=text, send_invitations=not no_invite, actor=actor, via="import_roster"
        )
        for err in report.errors:
            self.stderr.write(err)
        self.stdout.write(report.summary())
