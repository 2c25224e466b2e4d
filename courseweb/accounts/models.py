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


class RoleChange(models.Model):
    """One change of a person's role in an offering (enrolled, promoted, demoted): who, whom, from, to, when."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="role_changes")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_changes")
    changed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="role_changes_made"
    )
    old_role = models.CharField(max_length=16, blank=True, help_text="empty: was not enrolled")
    new_role = models.CharField(max_length=16)
    via = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user}: {self.old_role or '-'} -> {self.new_role} by {self.changed_by or self.via}"

    def _label(self, role: str) -> str:
        from courseweb.courses.models import Role

        return dict(Role.choices).get(role, role) if role else "not enrolled"

    @property
    def old_label(self) -> str:
        return self._label(self.old_role)

    @property
    def new_label(self) -> str:
        return self._label(self.new_role)
