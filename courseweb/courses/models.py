"""Course offerings, enrollments with roles, coursework items and deadlines.

The course rules that later features read (group size, registration deadline, how many homework count,
category weights) are stored on the offering, loaded from the versioned course file.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Offering(models.Model):
    """One season of the course, e.g. Spring 2026 (slug "s26")."""

    slug = models.SlugField(unique=True)
    code = models.CharField(max_length=32, default="DOTE 6635")
    title = models.CharField(max_length=200)
    season = models.CharField(max_length=60, help_text="e.g. Spring 2026")
    description = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, default="Asia/Hong_Kong")
    group_size_max = models.PositiveSmallIntegerField(default=2)
    group_registration_deadline = models.DateTimeField(null=True, blank=True)
    homework_count = models.PositiveSmallIntegerField(default=5, help_text="best N homework count")
    category_weights = models.JSONField(default=dict, blank=True)
    rules = models.JSONField(default=dict, blank=True, help_text="other course rules from the course file")
    course_file_version = models.CharField(max_length=40, blank=True)
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_current", "slug"]

    def __str__(self) -> str:
        return f"{self.code} {self.season}"


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    TA = "ta", "Teaching assistant"
    INSTRUCTOR = "instructor", "Instructor"


STAFF_ROLES = (Role.TA, Role.INSTRUCTOR)


class Enrollment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="enrollments")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "offering"], name="one_enrollment_per_offering")
        ]
        ordering = ["offering", "role", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.offering} as {self.role}"


class CourseworkKind(models.TextChoices):
    HOMEWORK = "homework", "Homework"
    SCRIBING = "scribing", "Lecture-note scribing"
    REPLICATION = "replication", "Paper replication and presentation"
    PROJECT = "project", "Final project"


class CourseworkItem(models.Model):
    """Anything that is handed in and graded: a homework, the scribed note, a replication, a project part."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="coursework")
    slug = models.SlugField()
    kind = models.CharField(max_length=16, choices=CourseworkKind.choices)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=32, help_text="gradebook category, e.g. homework")
    points = models.DecimalField(max_digits=7, decimal_places=2, default=100)
    group_work = models.BooleanField(default=True)
    session = models.ForeignKey(
        "lectures.Session", null=True, blank=True, on_delete=models.SET_NULL, related_name="coursework"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    description = models.TextField(blank=True)
    counted = models.BooleanField(
        default=True,
        help_text="counts toward the best N homework; false: optional practice, graded but never counted",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offering", "slug"], name="unique_coursework_slug")]
        ordering = ["due_at", "title"]

    def __str__(self) -> str:
        return self.title


class Deadline(models.Model):
    """A dated milestone shown on the home page and in the iCal feed."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="deadlines")
    key = models.SlugField()
    title = models.CharField(max_length=200)
    due_at = models.DateTimeField()
    coursework = models.ForeignKey(
        CourseworkItem, null=True, blank=True, on_delete=models.CASCADE, related_name="deadlines"
    )
    url = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offering", "key"], name="unique_deadline_key")]
        ordering = ["due_at"]

    def __str__(self) -> str:
        return self.title
