"""CPU and GPU servers on the real hub: a GPU server only for a student whose course offers GPU hours and while
they last, whichever way it is started (the hub's REST API with user_options, the hub's spawn form, the site's
"Open in JupyterHub" button); an allowed GPU server holds a GPU lease for its life, sees the leased GPU's device
node and CUDA_VISIBLE_DEVICES (a fake node: `conftest.fake_gpu_node`), lists the course kernels, and its run is
recorded from start to stop (and stopped when the quota runs out).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from course_hub.profiles import ERR_GPU_NOT_ALLOWED, ERR_PROFILE
from courseweb.courses.models import Role
from courseweb.hub.models import HubOpen, HubUsage, UsageEnd
from courseweb.hub.services import hub_open_create, hub_open_perform, usage_reconcile
from gpu_runner import NoGpuAvailable
from gpu_runner.inventory import parse_nvidia_smi_csv
from gpu_runner.leases import take_lease
from tests.course_hub.conftest import FAKE_GPUS
from tests.course_hub.hubstack import site_login
from tests.factories import EnrollmentFactory, StaffUserFactory, UserFactory
from tests.workers import wait_for

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

PROBE = """
import glob, json, os
def link(path):
    try:
        return os.readlink(path)
    except OSError:  # the listing's own descriptor, closed by now
        return ""
print(json.dumps({
    "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
    "dev": sorted(n for n in os.listdir("/dev") if n.startswith("nvidia")),
    "lease_fds": [p for p in glob.glob("/proc/[0-9]*/fd/*") if "slot" in link(p)],  # every process of the jail
}))
"""


def _gpu_hours(offering, hours: float) -> None:
    offering.rules = {**(offering.rules or {}), "gpu_hours_per_student": hours}
    offering.save(update_fields=["rules"])


def _student(offering):
    user = UserFactory()
    EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    return user


def _used(user, offering, hours: float) -> None:
    end = timezone.now() - dt.timedelta(minutes=1)
    HubUsage.objects.create(
        user=user,
        offering=offering,
        profile="gpu",
        started_at=end - dt.timedelta(hours=hours),
        stopped_at=end,
        ended=UsageEnd.STOPPED,
    )


def _message(body) -> str:
    return body if isinstance(body, str) else json.dumps(body)


def test_no_gpu_server_without_the_course_or_the_quota_by_the_api_or_the_button(hub_site, assignment):
    offering = assignment.offering
    student = _student(offering)
    name = f"u{student.pk}"
    hub_site.api("POST", f"/users/{name}")

    status, body = hub_site.api("POST", f"/users/{name}/server", {"profile": "gpu"})
    assert status == 403 and ERR_GPU_NOT_ALLOWED in _message(body), (status, body)
    status, body = hub_site.api("POST", f"/users/{name}/server", {"profile": "tpu"})
    assert status == 400 and ERR_PROFILE.format(value="tpu") in _message(body), (status, body)

    _gpu_hours(offering, 1.5)
    _used(student, offering, 1.5)
    status, body = hub_site.api("POST", f"/users/{name}/server", {"profile": "gpu"})
    assert status == 403 and "Your GPU quota is used up (1.50 of 1.5 GPU hours)" in _message(body), body

    row = hub_open_create(user=student, assignment=assignment, profile="gpu")
    assert hub_open_perform(open_id=row.pk) == "failed"
    assert "Your GPU quota is used up" in HubOpen.objects.get(pk=row.pk).error

    assert hub_site.api("GET", f"/users/{name}")[1]["servers"] == {}
    assert not HubUsage.objects.filter(user=student, stopped_at__isnull=True).exists()


def test_the_hubs_spawn_form_offers_gpu_hours_and_refuses_past_the_quota(site_for_hub, hub_stack, assignment):
    offering = assignment.offering
    _gpu_hours(offering, 2)
    student = _student(offering)
    _used(student, offering, 0.5)
    browser = site_login(site_for_hub, student.username)

    form = browser.get(f"{hub_stack.url}/hub/spawn", timeout=300)
    assert form.status_code == 200, form.text[-2000:]
    assert 'name="profile" value="gpu"' in form.text and "1.50 of 2 GPU hours left" in form.text

    _used(student, offering, 1.5)
    xsrf = browser.cookies.get("_xsrf", path="/hub/") or browser.cookies.get("_xsrf")
    refused = browser.post(
        f"{hub_stack.url}/hub/spawn/u{student.pk}",
        data={"profile": "gpu", "_xsrf": xsrf},
        headers={"Referer": f"{hub_stack.url}/hub/spawn"},
        timeout=300,
    )
    assert refused.status_code == 403, refused.text[-2000:]
    assert "Your GPU quota is used up (2.00 of 2 GPU hours)" in refused.text
    assert re.search(r'value="gpu"\s+disabled', refused.text)  # the form shown again: no GPU hours left
    assert hub_stack.api("GET", f"/users/u{student.pk}")[1]["servers"] == {}


def _start(hub, name: str, options: dict) -> None:
    hub.api("POST", f"/users/{name}")
    status, body = hub.api("POST", f"/users/{name}/server", options)
    assert status in (201, 202), (status, body)
    wait_for(
        lambda: (hub.api("GET", f"/users/{name}")[1]["servers"].get("") or {}).get("ready"),
        timeout=400,
        interval=1,
        what=f"the server of {name}",
    )


def _kernels(hub, name: str) -> dict[str, str]:
    status, specs = hub.server_request(name, "GET", "/api/kernelspecs")
    assert status == 200, specs
    return {k: v["spec"]["display_name"] for k, v in specs["kernelspecs"].items()}


def test_a_gpu_server_gets_the_leased_gpu_for_its_life_and_its_hours_are_counted(
    hub_site, assignment, client
):
    offering = assignment.offering
    _gpu_hours(offering, 2)
    student = _student(offering)
    name = f"u{student.pk}"
    gpus = parse_nvidia_smi_csv(FAKE_GPUS.read_text())
    lock_dir = Path(hub_site.gpu_env["GPU_LEASE_DIR"])

    _start(hub_site, name, {"profile": "gpu"})

    seen = json.loads(hub_site.run_code(name, PROBE, kernel_name="python3-gpu").strip().splitlines()[-1])
    # the least used of the two GPUs (index 1): its own node and the shared ones, not the other GPU's
    # ... and not the lease's descriptor (bwrap keeps it), which the student's code could unlock
    assert seen == {"cuda": gpus[1].uuid, "dev": ["nvidia-uvm", "nvidia1", "nvidiactl"], "lease_fds": []}, (
        seen
    )
    seen = json.loads(hub_site.run_code(name, PROBE).strip().splitlines()[-1])
    assert seen["cuda"] == ""  # the CPU kernel of a GPU server hides the GPU
    assert _kernels(hub_site, name) == {
        "python3": "Python 3 (course)",
        "python3-gpu": "Python 3 (course, GPU)",
    }
    with pytest.raises(NoGpuAvailable):  # the server holds GPU 1's only slot
        take_lease(gpus=[gpus[1]], lock_dir=lock_dir, slots=1)
    run = HubUsage.objects.get(user=student, stopped_at__isnull=True)
    assert (run.profile, run.offering, run.gpu["index"], run.gpu["uuid"]) == (
        "gpu",
        offering,
        1,
        gpus[1].uuid,
    )

    client.force_login(student)
    page = client.get(reverse("homework:assignment", args=[assignment.key])).content.decode()
    assert re.search(r"GPU hours left: [12]\.\d\d of 2\.", page), page
    client.force_login(StaffUserFactory())
    usage = client.get(reverse("hub:usage")).content.decode()
    assert re.search(rf"{student.username}\)</span></th>\s*<td>0\.\d\d</td>\s*<td>[12]\.\d\d</td>", usage), (
        usage
    )
    assert "GPU since" in usage

    # the quota runs out while the server runs: the periodic check stops it, the stop closes the run
    _used(student, offering, 2)
    assert usage_reconcile()["stopped"] == [name]
    wait_for(lambda: not hub_site.api("GET", f"/users/{name}")[1]["servers"], timeout=60, what="stopped")
    wait_for(
        lambda: not HubUsage.objects.filter(user=student, stopped_at__isnull=True).exists(),
        timeout=60,
        what="the run closed",
    )
    run.refresh_from_db()
    assert run.ended == UsageEnd.STOPPED and run.stopped_at > run.started_at
    lease = take_lease(gpus=[gpus[1]], lock_dir=lock_dir, slots=1)  # the lease ended with the server
    os.close(lease.fd)

    # the same student's CPU server: no GPU, no GPU kernel
    _start(hub_site, name, {"profile": "cpu"})
    seen = json.loads(hub_site.run_code(name, PROBE).strip().splitlines()[-1])
    assert seen == {"cuda": None, "dev": [], "lease_fds": []}, seen
    assert _kernels(hub_site, name) == {"python3": "Python 3 (course)"}
    assert HubUsage.objects.get(user=student, stopped_at__isnull=True).profile == "cpu"
    hub_site.stop_server(name)


def test_a_run_left_open_is_closed_against_the_hub(hub_site, assignment):
    student = _student(assignment.offering)
    HubUsage.objects.create(user=student, profile="cpu", started_at=timezone.now() - dt.timedelta(hours=1))
    assert f"u{student.pk}" in usage_reconcile()["closed"]
    assert HubUsage.objects.get(user=student).ended == UsageEnd.RECONCILED
