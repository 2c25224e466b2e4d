"""Only the instructor grants or removes staff roles: a TA's roster upload adds students only, and every role
change is logged (who, whom, from, to, when) where the instructor can see it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from courseweb.accounts.models import RoleChange
from courseweb.accounts.services import roster_import
from courseweb.courses.models import Enrollment, Role
from tests.factories import EnrollmentFactory, OfferingFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    offering = OfferingFactory()
    instructor = StaffUserFactory(username="prof", enroll=Role.INSTRUCTOR)
    ta = StaffUserFactory(username="tina", enroll=Role.TA)
    student = EnrollmentFactory(offering=offering, user=UserFactory(username="stu"), role=Role.STUDENT).user
    return offering, instructor, ta, student


def _role(user) -> str:
    return Enrollment.objects.get(user=user).role


def _attack_csv(instructor, ta, student) -> str:
    return (
        "email,name,student_number,major,department,role\n"
        f"{instructor.email},,,,,student\n"
        f"{ta.email},,,,,instructor\n"
        f"{student.email},,,,,ta\n"
        "newbie@link.example.edu,New Student,1155999999,Finance,FIN,student\n"
        "newta@link.example.edu,New TA,,,,ta\n"
    )


def test_a_ta_upload_on_the_web_page_changes_no_role_and_adds_only_students(client, course):
    _offering, instructor, ta, student = course
    client.force_login(ta)
    upload = SimpleUploadedFile("roster.csv", _attack_csv(instructor, ta, student).encode(), "text/csv")
    response = client.post("/accounts/roster/", {"roster": upload, "send_invitations": ""})
    assert response.status_code == 200
    assert (_role(instructor), _role(ta), _role(student)) == ("instructor", "ta", "student")
    assert Enrollment.objects.get(user__email="newbie@link.example.edu").role == "student"
    assert not Enrollment.objects.filter(user__email="newta@link.example.edu").exists()
    html = response.content.decode()
    assert "line 2:" in html and "only the instructor" in html
    for line in (2, 3, 4, 6):
        assert f"line {line}:" in html
    assert "line 5:" not in html
    # the one student added is logged, with who did it
    log = RoleChange.objects.get()
    assert (log.user.email, log.changed_by, log.old_role, log.new_role) == (
        "newbie@link.example.edu",
        ta,
        "",
        "student",
    )


def test_the_service_refuses_staff_roles_to_a_ta_and_applies_the_rest(course):
    offering, instructor, ta, student = course
    report = roster_import(
        offering=offering, csv_text=_attack_csv(instructor, ta, student), send_invitations=False, actor=ta
    )
    assert len(report.errors) == 4
    assert report.created == ["newbie@link.example.edu"]
    assert (_role(instructor), _role(ta), _role(student)) == ("instructor", "ta", "student")


def test_the_command_as_a_ta_adds_students_only(course, tmp_path):
    _offering, instructor, ta, student = course
    path = tmp_path / "roster.csv"
    path.write_text(_attack_csv(instructor, ta, student))
    call_command("import_roster", str(path), "--no-invite", "--by", ta.username)
    assert (_role(instructor), _role(ta), _role(student)) == ("instructor", "ta", "student")
    assert Enrollment.objects.filter(user__email="newbie@link.example.edu", role="student").exists()


def test_the_instructor_changes_roles_and_every_change_is_logged_and_shown(client, course):
    _offering, instructor, ta, student = course
    client.force_login(instructor)
    csv_text = (
        f"email,role\n{student.email},ta\n{ta.email},student\nsomeone@link.example.edu,student\n"
        f"{instructor.email},instructor\n"
    )
    upload = SimpleUploadedFile("roster.csv", csv_text.encode(), "text/csv")
    response = client.post("/accounts/roster/", {"roster": upload, "send_invitations": ""})
    assert response.status_code == 302
    assert (_role(student), _role(ta)) == ("ta", "student")
    changes = {(c.user.email, c.old_role, c.new_role, c.changed_by_id) for c in RoleChange.objects.all()}
    assert changes == {
        (student.email, "student", "ta", instructor.pk),
        (ta.email, "ta", "student", instructor.pk),
        ("someone@link.example.edu", "", "student", instructor.pk),
    }
    page = client.get("/accounts/roster/").content.decode()
    assert "Role changes" in page and "Teaching assistant" in page and instructor.name in page
    # a TA sees the roster but not the log
    client.force_login(student)  # now a TA
    assert "Role changes" not in client.get("/accounts/roster/").content.decode()


def test_the_role_change_log_is_read_only_in_the_admin(client, course):
    offering, instructor, _ta, student = course
    from courseweb.accounts.services import role_set

    role_set(user=student, offering=offering, role=Role.TA, actor=instructor, via="test")
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    page = client.get("/admin/accounts/rolechange/")
    assert page.status_code == 200 and student.username in page.content.decode()
    assert client.get("/admin/accounts/rolechange/add/").status_code == 403
    change = RoleChange.objects.get()
    assert client.post(f"/admin/accounts/rolechange/{change.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RoleChange.objects.filter(pk=change.pk).exists()
