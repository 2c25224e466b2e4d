"""Homework records: synced assignments, immutable submissions, grading jobs, tokens, deliverables, manual grades,
the counted-submission log and the solutions groups share with the class.

Writes go through the services in `courseweb/homework/services/`; reads through `selectors.py`.
A `Submission` is never changed after it is stored (its file is content-addressed and read-only); grading
results live on `GradingJob` rows, one per grading run, so a regrade keeps the previous results.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LatePolicy(models.TextChoices):
    NONE = "none", "No penalty until the cut-off"
    PERCENT_PER_DAY = "percent_per_day", "A percentage per started 24 h"
    ZERO = "zero", "Late work scores zero"


class GpuFallback(models.TextChoices):
    CPU = "cpu", "Grade on the CPU queue with the CPU limits"
    WAIT = "wait", "Wait for a GPU node"


class Assignment(models.Model):
    """A notebook homework synced from `ASSIGNMENTS_DIR/<key>/source/`; its coursework item holds title and dates."""

    item = models.OneToOneField("courses.CourseworkItem", on_delete=models.CASCADE, related_name="assignment")
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="assignments")
    key = models.SlugField(max_length=100, help_text="folder name under ASSIGNMENTS_DIR")
    source_dir = models.CharField(max_length=500)
    source_hash = models.CharField(max_length=64)
    release_dir = models.CharField(max_length=500, help_text="the student version built by graders.release")
    notebooks = models.JSONField(default=dict, help_text="stem -> grade ids, manual cells and points")
    max_score = models.FloatField(default=0)
    requires_gpu = models.BooleanField(default=False)
    late_policy = models.CharField(max_length=20, choices=LatePolicy.choices, default=LatePolicy.NONE)
    late_percent = models.FloatField(default=0)
    cutoff_days = models.FloatField(default=7)
    limits = models.JSONField(default=dict, blank=True)
    gpu_fallback = models.CharField(
        max_length=8,
        choices=GpuFallback.choices,
        default=GpuFallback.CPU,
        help_text="what a requires_gpu homework does where no GPU node grades",
    )
    gpu_limits = models.JSONField(default=dict, blank=True, help_text="[gpu_limits]: overrides on a GPU node")
    gpu_memory_mb = models.PositiveIntegerField(default=0, help_text="GPU memory a grading run claims")
    synced_at = models.DateTimeField()
    sharing_enabled = models.BooleanField(
        default=False,
        help_text="groups may publish their counted submission to the class once every cut-off has passed",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offering", "key"], name="unique_assignment_key")]
        ordering = ["item__due_at", "key"]

    def __str__(self) -> str:
        return self.item.title


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 digest is stored, the secret is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Submission(models.Model):
    """One uploaded notebook, stored immutably; it belongs to the submitting group (or student) at that time."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="SubmissionMember", related_name="homework_submissions"
    )
    stem = models.CharField(max_length=200)
    filename = models.CharField(max_length=255)
    content_hash = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    storage_path = models.CharField(max_length=500)
    submitted_at = models.DateTimeField(db_index=True)
    via = models.CharField(max_length=8, default="web")
    is_late = models.BooleanField(default=False)
    deadline_note = models.CharField(
        max_length=300, blank=True, help_text="the deadline that applied at upload and where it came from"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.assignment.key} #{self.pk}"


class SubmissionMember(models.Model):
    """Each member of the submitting group: the grade is recorded for every one of them."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "user"], name="unique_submission_member")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in submission {self.submission_id}"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    GRADED = "graded", "Graded"
    FAILED = "failed", "Failed"


FINAL_STATES = (JobState.GRADED, JobState.FAILED)


class GradingJob(models.Model):
    """One grading run of a submission: queued → running → graded | failed (running may return to queued).

    A worker owns a running job while `lease_expires_at` is in the future and it holds `lease_token`; the
    worker's heartbeat extends the lease, and the reaper requeues jobs whose lease expired.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="jobs")
    reason = models.CharField(max_length=16, default="submission")
    state = models.CharField(max_length=8, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    queue = models.CharField(max_length=16, default="grading")
    limit_profile = models.CharField(
        max_length=8, default="cpu", help_text="cpu or gpu: the limits it runs with"
    )
    limits = models.JSONField(default=dict, blank=True, help_text="the limit profile's [limits] values")
    created_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    infra_failures = models.PositiveSmallIntegerField(default=0)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    worker = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="phases with timestamps")
    progress = models.JSONField(default=dict, blank=True)
    source_hash = models.CharField(max_length=64, blank=True)
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)
    needs_manual = models.BooleanField(default=False)
    cells = models.JSONField(default=dict, blank=True, help_text="stem -> grade id -> cell result")
    flags = models.JSONField(default=list, blank=True)
    engine = models.JSONField(default=dict, blank=True, help_text="timings, resources, sandbox")
    error = models.TextField(blank=True)
    feedback_dir = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class Extension(models.Model):
    """A later due time for one group (or one student without a group) on one coursework item."""

    item = models.ForeignKey("courses.CourseworkItem", on_delete=models.CASCADE, related_name="extensions")
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(group__isnull=False) | models.Q(user__isnull=False),
                name="extension_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"extension to {self.due_at:%Y-%m-%d %H:%M}"


class DeliverableKind(models.TextChoices):
    FILE = "file", "File"
    LINK = "link", "Link"


class Deliverable(models.Model):
    """Something handed in that is not a notebook: a PDF, zip or image file, or a link (repository, slides)."""

    item = models.ForeignKey("courses.CourseworkItem", on_delete=models.CASCADE, related_name="deliverables")
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=DeliverableKind.choices)
    label = models.CharField(max_length=120)
    storage_path = models.CharField(max_length=500, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    url = models.URLField(max_length=500, blank=True)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return self.label


class RubricCriterion(models.Model):
    item = models.ForeignKey("courses.CourseworkItem", on_delete=models.CASCADE, related_name="rubric")
    name = models.CharField(max_length=200)
    max_points = models.FloatField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.max_points:g})"


class ManualGrade(models.Model):
    """A TA's grade: for a manually graded notebook cell (submission + grade_id) or for a whole item (owner)."""

    item = models.ForeignKey("courses.CourseworkItem", on_delete=models.CASCADE, related_name="manual_grades")
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="manual_grades"
    )
    grade_id = models.CharField(max_length=200, blank=True)
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    points = models.FloatField()
    criteria = models.JSONField(default=dict, blank=True, help_text="criterion id -> points")
    comment = models.TextField(blank=True)
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "grade_id"],
                condition=models.Q(submission__isnull=False),
                name="one_manual_grade_per_cell",
            ),
            models.UniqueConstraint(
                fields=["item", "group"],
                condition=models.Q(submission__isnull=True, group__isnull=False),
                name="one_item_grade_per_group",
            ),
            models.UniqueConstraint(
                fields=["item", "user"],
                condition=models.Q(submission__isnull=True, user__isnull=False),
                name="one_item_grade_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points:g} points"


class CountedChoice(models.Model):
    """Which submission counts for a group (or a student without a group), one row per change: the log.

    The newest row of an owner is in force; `submission` empty means "back to the default" (the latest on-time
    submission). `previous` is the submission that counted just before the change, for the staff's log.
    """

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="counted_choices")
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="counted_choices"
    )
    previous = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-chosen_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(group__isnull=False) | models.Q(user__isnull=False),
                name="counted_choice_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}: submission {self.submission_id or 'default'}"


class SharedSolution(models.Model):
    """A group's (or a student's without a group) counted submission, published to the class after the last
    cut-off; `withdrawn_at` set means it is hidden again. One published row per owner at a time; a withdrawn
    row stays as the record of what was shared and when."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="shared_solutions")
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["published_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(group__isnull=False) | models.Q(user__isnull=False),
                name="shared_solution_has_owner",
            ),
            models.UniqueConstraint(
                fields=["assignment", "group"],
                condition=models.Q(withdrawn_at__isnull=True, group__isnull=False),
                name="one_shared_solution_per_group",
            ),
            models.UniqueConstraint(
                fields=["assignment", "user"],
                condition=models.Q(withdrawn_at__isnull=True, group__isnull=True),
                name="one_shared_solution_per_student",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}: submission {self.submission_id} shared"
