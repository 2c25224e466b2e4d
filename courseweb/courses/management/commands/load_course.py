"""`manage.py load_course FILE`: apply the versioned course file (idempotent; malformed files change nothing)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseweb.courses.course_file import CourseFileError, course_file_read
from courseweb.courses.services import course_load


class Command(BaseCommand):
    help = "Create or update an offering, its sessions, events, coursework and deadlines from a course file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            course = course_file_read(path=file)
        except CourseFileError as exc:
            raise CommandError(str(exc)) from None
        report = course_load(course=course)
        for line in report.lines():
            self.stdout.write(line)
        if not report.changed:
            self.stdout.write(self.style.SUCCESS("nothing changed"))
