"""Accounts: the custom user model with the profile fields the course needs (matching by major, rosters)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class CourseUserManager(UserManager):
    def get_by_natural_key(self, username: str):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """A person on the site. Logs in with the username (defaults to the e-mail's local part)."""

    email = models.EmailField("e-mail", unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    student_number = models.CharField(max_length=32, blank=True, db_index=True)
    major = models.CharField(max_length=120, blank=True)
    department = models.CharField(max_length=120, blank=True)

    objects = CourseUserManager()

    class Meta:
        ordering = ["display_name", "username"]
        constraints = [
            models.UniqueConstraint(
                fields=["student_number"],
                condition=~models.Q(student_number=""),
                name="unique_nonempty_student_number",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username
