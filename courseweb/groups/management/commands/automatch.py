"""`manage.py automatch [--offering SLUG] [--apply --as USERNAME]`: show (or apply) the auto-match proposal."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from courseweb.courses.models import Offering
from courseweb.courses.selectors import offering_current
from courseweb.groups.automatch import automatch_apply, automatch_preview
from courseweb.groups.services import GroupError


class Command(BaseCommand):
    help = "Pair the students who are in no group by major (preview by default; --apply creates the groups)."

    def add_arguments(self, parser):
        parser.add_argument("--offering", help="offering slug (default: the current offering)")
        parser.add_argument("--apply", action="store_true", help="create the proposed groups")
        parser.add_argument(
            "--force", action="store_true", help="apply even before the registration deadline"
        )
        parser.add_argument(
            "--as", dest="actor", help="username recorded in the audit log as the one applying"
        )

    def handle(self, *args, **options):
        slug = options.get("offering")
        offering = Offering.objects.filter(slug=slug).first() if slug else offering_current()
        if offering is None:
            raise CommandError(f"No offering {slug!r}." if slug else "No offering is loaded.")
        preview = automatch_preview(offering=offering)
        for line in preview.lines():
            self.stdout.write(line)
        if not preview.groups and not preview.leftover:
            self.stdout.write("Every student is in a group.")
        if not options["apply"]:
            self.stdout.write(f"preview: {len(preview.groups)} groups, {len(preview.leftover)} left over")
            return
        actor = None
        if options.get("actor"):
            actor = get_user_model().objects.filter(username__iexact=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No user {options['actor']!r}.")
        try:
            created = automatch_apply(
                offering=offering, staff=actor, groups=preview.groups, force=options["force"]
            )
        except GroupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"created {len(created)} group(s); {len(preview.leftover)} student(s) left for staff"
        )
