"""`manage.py seed_demo`: demo accounts for the current offering, and print their logins."""

from django.core.management.base import BaseCommand, CommandError

from courseweb.core.demo import demo_extensions_grant, demo_people_create
from courseweb.courses.selectors import offering_current


class Command(BaseCommand):
    help = "Create the demo instructor, TA and students (known passwords) and print their logins."

    def handle(self, *args, **options):
        offering = offering_current()
        if offering is None:
            raise CommandError("Load the course first: manage.py load_course FILE")
        people = demo_people_create(offering=offering)
        self.stdout.write("Demo logins (username / password):")
        for person, password in people:
            self.stdout.write(f"  {person.role:<10} {person.username:<11} {password}   ({person.name})")
        if demo_extensions_grant(offering=offering):
            self.stdout.write("Demo students have a 14-day extension on the homework, so they can submit.")
