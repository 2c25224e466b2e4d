"""`course-submit` inside a student's server hands the notebook in to the site with the server's own token (minted
by the hub at spawn), to the assignment and stem its metadata names, even from a renamed copy."""

from __future__ import annotations

import pytest

from courseweb.courses.models import Role
from courseweb.homework.models import Submission
from courseweb.hub.services import hub_open_create, hub_open_perform
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

SUBMIT = """
import shutil, subprocess
shutil.copy("hubhw/hubhw.ipynb", "renamed.ipynb")
r = subprocess.run(["course-submit", "--no-wait", "renamed.ipynb"], capture_output=True, text=True)
print(r.returncode, r.stdout, r.stderr)
"""


def test_course_submit_hands_the_notebook_in_from_the_server(site_for_hub, hub_stack, assignment):
    student = UserFactory()
    EnrollmentFactory(user=student, offering=assignment.offering, role=Role.STUDENT)
    row = hub_open_create(user=student, assignment=assignment)
    assert hub_open_perform(open_id=row.pk) == "done"

    out = hub_stack.run_code(f"u{student.pk}", SUBMIT)

    assert out.startswith("0 Submitted renamed.ipynb as submission"), out
    submission = Submission.objects.get(assignment=assignment, submitted_by=student)
    assert submission.via == "api" and submission.stem == "hubhw"
    assert f"{site_for_hub}/homework/submissions/{submission.pk}/" in out
