"""Routing of GPU homework through `grading_route` (the GPU_NODES setting and the assignment's gpu_fallback),
the CPU fallback graded by a real worker that consumes only `default,grading`, a leased (fake) GPU's device
node and CUDA_VISIBLE_DEVICES inside the sandbox, and, on a machine with a GPU, torch seeing it there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from courseweb.courses.models import Role
from courseweb.homework.models import Assignment, GradingJob
from courseweb.homework.services import runner
from courseweb.homework.services.assignments import assignments_sync, course_config_read
from courseweb.homework.services.grading import grading_route, job_create
from courseweb.homework.services.runner import grading_run
from courseweb.homework.services.submissions import submission_create
from gpu_runner import Gpu, gpu_lease
from tests.courseweb.homework.notebooks import _cell, _notebook, student_notebook, to_bytes
from tests.factories import EnrollmentFactory, UserFactory
from tests.workers import celery_worker, wait_for

FAKE_GPUS = [
    Gpu(0, "GPU-fake-0000-six", "Fake GPU (test)", 16_000, 0, 0, minor=6),
    Gpu(1, "GPU-fake-0001-seven", "Fake GPU (test)", 16_000, 0, 5, minor=7),
]
CPU_LIMITS = {"cell_timeout_s": 20, "total_timeout_s": 60}
GPU_LIMITS = {"total_timeout_s": 120, "memory_mb": 4096}

GPUHW_CELLS = [
    _cell("code", "import os", gid="setup", locked=True),
    _cell(
        "code",
        "def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION",
        gid="answer",
        solution=True,
    ),
    _cell(
        "code",
        "### BEGIN HIDDEN TESTS\nassert answer() == 42\n### END HIDDEN TESTS",
        gid="test_answer",
        grade=True,
        points=1,
    ),
    _cell(
        "code",
        "### BEGIN HIDDEN TESTS\n"
        "seen = (os.environ.get('CUDA_VISIBLE_DEVICES'), sorted(n for n in os.listdir('/dev') if n.startswith('nvidia')))\n"
        "assert seen == ('GPU-fake-0001-seven', ['nvidia-uvm', 'nvidia7', 'nvidiactl']), repr(seen)\n"
        "### END HIDDEN TESTS",
        gid="test_leased_gpu",
        grade=True,
        points=1,
    ),
]
TORCH_CELLS = [
    _cell("code", "import torch", gid="setup", locked=True),
    _cell(
        "code",
        "def device():\n    ### BEGIN SOLUTION\n    return 'cuda'\n    ### END SOLUTION",
        gid="device",
        solution=True,
    ),
    _cell(
        "code",
        "### BEGIN HIDDEN TESTS\nassert torch.cuda.is_available(), 'no CUDA in the sandbox'\n"
        "assert float(torch.ones(3, device=device()).sum()) == 3.0\n### END HIDDEN TESTS",
        gid="test_cuda",
        grade=True,
        points=1,
    ),
]


def _toml(*, fallback: str | None = "cpu", requires_gpu: bool = True) -> str:
    lines = [
        "[course]",
        'title = "GPU homework"',
        "release_session = 1",
        f"requires_gpu = {str(requires_gpu).lower()}",
    ]
    if fallback is not None:
        lines.append(f'gpu_fallback = "{fallback}"')
    lines += ["gpu_memory_mb = 2000", "", "[limits]"]
    lines += [f"{k} = {v}" for k, v in CPU_LIMITS.items()]
    lines += ["", "[gpu_limits]"] + [f"{k} = {v}" for k, v in GPU_LIMITS.items()]
    return "\n".join(lines) + "\n"


def _write_source(root: Path, key: str, cells, toml: str) -> Path:
    src = root / key / "source"
    src.mkdir(parents=True)
    (src / f"{key}.ipynb").write_text(json.dumps(_notebook(cells), indent=1), encoding="utf-8")
    (src / "assignment.toml").write_text(toml, encoding="utf-8")
    return src


def _sync(offering, root: Path) -> dict[str, Assignment]:
    report = assignments_sync(offering=offering, root=root)
    assert report.errors == [], report.errors
    return {a.key: a for a in Assignment.objects.filter(offering=offering)}


def _submit(assignment: Assignment, answers: dict[str, str]):
    user = UserFactory()
    EnrollmentFactory(user=user, offering=assignment.offering, role=Role.STUDENT)
    released = json.loads((Path(assignment.release_dir) / f"{assignment.key}.ipynb").read_text())
    nb = student_notebook(released, answers)
    outcome = submission_create(
        user=user, assignment=assignment, filename=f"{assignment.key}.ipynb", data=to_bytes(nb)
    )
    return outcome.submission


@pytest.fixture
def gpu_assignments(offering, sessions, hw_media, tmp_path) -> dict[str, Assignment]:
    root = tmp_path / "assignments"
    _write_source(root, "gpuhw", GPUHW_CELLS, _toml(fallback="cpu"))
    _write_source(root, "gpuwait", GPUHW_CELLS, _toml(fallback="wait"))
    _write_source(root, "cpuhw", GPUHW_CELLS, _toml(requires_gpu=False))
    return _sync(offering, root)


# ----- the routing function and the assignment option -----


def test_the_assignment_declares_its_gpu_fallback_and_gpu_limits(tmp_path):
    src = _write_source(tmp_path, "hw", GPUHW_CELLS, _toml(fallback="wait"))
    config = course_config_read(source=src, key="hw")
    assert (config.requires_gpu, config.gpu_fallback, config.gpu_memory_mb) == (True, "wait", 2000)
    assert (config.limits, config.gpu_limits) == (CPU_LIMITS, GPU_LIMITS)
    assert (
        course_config_read(
            source=_write_source(tmp_path, "d", GPUHW_CELLS, _toml(fallback=None)), key="d"
        ).gpu_fallback
        == "cpu"
    )
    bad = _write_source(tmp_path, "bad", GPUHW_CELLS, _toml(fallback="gpu-or-bust"))
    with pytest.raises(ValueError, match="gpu_fallback must be cpu or wait"):
        course_config_read(source=bad, key="bad")
    typo = _write_source(tmp_path, "typo", GPUHW_CELLS, _toml() + "cell_timout_s = 3\n")
    with pytest.raises(ValueError, match=r"\[gpu_limits\].*cell_timout_s"):
        course_config_read(source=typo, key="typo")


@pytest.mark.django_db
def test_route_without_gpu_nodes_follows_the_fallback(settings, gpu_assignments):
    settings.GPU_NODES = 0
    cpu = grading_route(assignment=gpu_assignments["gpuhw"])
    assert (cpu.queue, cpu.profile, cpu.limits) == ("grading", "cpu", CPU_LIMITS)
    wait = grading_route(assignment=gpu_assignments["gpuwait"])
    assert (wait.queue, wait.profile, wait.limits) == ("gpu", "gpu", {**CPU_LIMITS, **GPU_LIMITS})
    plain = grading_route(assignment=gpu_assignments["cpuhw"])
    assert (plain.queue, plain.profile, plain.limits) == ("grading", "cpu", CPU_LIMITS)


@pytest.mark.django_db
def test_route_with_gpu_nodes_sends_gpu_homework_to_the_gpu_queue(settings, gpu_assignments):
    settings.GPU_NODES = 2
    for key in ("gpuhw", "gpuwait"):
        route = grading_route(assignment=gpu_assignments[key])
        assert (route.queue, route.profile, route.limits) == ("gpu", "gpu", {**CPU_LIMITS, **GPU_LIMITS})
    plain = grading_route(assignment=gpu_assignments["cpuhw"])
    assert (plain.queue, plain.profile) == ("grading", "cpu")


@pytest.mark.django_db
def test_the_job_carries_its_queue_and_limit_profile(settings, gpu_assignments):
    settings.GPU_NODES = 0
    sub = _submit(gpu_assignments["gpuhw"], {})
    job = sub.jobs.get()
    assert (job.queue, job.limit_profile, job.limits) == ("grading", "cpu", CPU_LIMITS)
    assert job.events[0]["queue"] == "grading" and job.events[0]["profile"] == "cpu"
    settings.GPU_NODES = 1
    regrade = job_create(submission=sub, reason="regrade")
    assert (regrade.queue, regrade.limit_profile, regrade.limits) == (
        "gpu",
        "gpu",
        {**CPU_LIMITS, **GPU_LIMITS},
    )


@pytest.mark.django_db
def test_staff_see_where_each_job_ran(settings, client, gpu_assignments):
    settings.GPU_NODES = 0
    assignment = gpu_assignments["gpuwait"]
    sub = _submit(assignment, {})
    staff = UserFactory()
    EnrollmentFactory(user=staff, offering=assignment.offering, role=Role.INSTRUCTOR)
    GradingJob.objects.filter(submission=sub).update(
        state="graded", worker="celery@gpu-node-1", engine={"gpu": {"index": 1, "name": "Fake GPU (test)"}}
    )
    waiting = _submit(gpu_assignments["gpuwait"], {})
    client.force_login(staff)
    page = client.get(reverse("homework:staff", args=["gpuwait"])).content.decode()
    assert '<th scope="col">Ran on</th>' in page
    assert "celery@gpu-node-1" in page and "GPU 1: Fake GPU (test)" in page and "GPU limits" in page
    assert page.count("waits for a worker on a GPU node") == 1, waiting


# ----- a real worker on default,grading grades the CPU fallback -----


@pytest.mark.django_db(transaction=True)
def test_gpu_homework_without_gpu_nodes_is_graded_by_a_cpu_worker_with_its_cpu_limits(
    settings, django_db_blocker, offering, sessions, hw_media, tmp_path
):
    settings.GPU_NODES = 0
    root = tmp_path / "assignments"
    _write_source(root, "gpuhw", GPUHW_CELLS, _toml(fallback="cpu"))
    assignment = _sync(offering, root)["gpuhw"]
    env = {"MEDIA_ROOT": str(hw_media), "GPU_NODES": "0", "HOMEWORK_REAPER_INTERVAL_S": "1"}
    with celery_worker(queues="default,grading", concurrency=1, name="cpu-only", extra_env=env):
        sub = _submit(assignment, {"answer": "def answer():\n    return 42"})
        job = sub.jobs.get()
        assert job.queue == "grading"  # never the gpu queue, which no worker here consumes
        wait_for(
            lambda: GradingJob.objects.get(pk=job.pk).state in ("graded", "failed"),
            timeout=180,
            what="the CPU worker to grade the GPU homework",
        )
    job.refresh_from_db()
    assert job.state == "graded", job.error
    assert (job.limit_profile, job.limits) == ("cpu", CPU_LIMITS)
    assert job.engine["profile"] == "cpu" and job.engine["gpu"] is None
    assert job.worker.startswith("cpu-only")
    # graded for real: the answer passes, and the GPU check fails because no GPU was leased
    assert job.cells["gpuhw"]["test_answer"]["status"] == "passed"
    assert job.cells["gpuhw"]["test_leased_gpu"]["status"] == "failed"
    assert (job.score, job.max_score) == (1.0, 2.0)


# ----- a leased (fake) GPU inside the sandbox -----


@pytest.mark.django_db
def test_the_leased_gpus_device_node_and_cuda_visible_devices_are_in_the_sandbox(
    settings, monkeypatch, gpu_assignments, tmp_path
):
    dev = tmp_path / "dev"
    dev.mkdir()
    for name in ("nvidia6", "nvidia7", "nvidiactl", "nvidia-uvm"):
        (dev / name).write_text("")  # stand-ins for the character devices of a GPU node
    settings.GPU_NODES = 1
    settings.GPU_DEV_DIR = dev
    settings.GPU_LEASE_DIR = tmp_path / "leases"
    settings.GPU_SLOTS_PER_GPU = 1
    settings.GPU_LEASE_WAIT_S = 5
    monkeypatch.setattr(runner, "gpu_inventory", lambda: list(FAKE_GPUS))
    sub = _submit(gpu_assignments["gpuhw"], {"answer": "def answer():\n    return 42"})
    job = sub.jobs.get()
    assert (job.queue, job.limit_profile) == ("gpu", "gpu")
    # GPU 0 (/dev/nvidia6, the less busy one) is held by someone else: the job must get GPU 1 and only it
    with gpu_lease(gpus=FAKE_GPUS[:1], lock_dir=tmp_path / "leases"):
        assert grading_run(job_id=job.pk, worker="celery@gpu-node-test") == "graded"
    job.refresh_from_db()
    assert job.cells["gpuhw"]["test_leased_gpu"]["status"] == "passed", job.cells
    assert (job.score, job.max_score) == (2.0, 2.0)
    assert job.engine["profile"] == "gpu"
    assert job.engine["gpu"] == {
        "index": 1,
        "uuid": "GPU-fake-0001-seven",
        "name": "Fake GPU (test)",
        "slot": 0,
        "memory_mb": 2000,
    }
    with gpu_lease(gpus=FAKE_GPUS[1:], lock_dir=tmp_path / "leases", wait_s=0) as again:
        assert again.gpu.index == 1  # the job's lease ended with the job


@pytest.mark.django_db
def test_a_gpu_job_on_a_node_without_gpu_is_retried_not_graded_without_one(
    settings, monkeypatch, gpu_assignments
):
    settings.GPU_NODES = 1
    monkeypatch.setattr(runner, "gpu_inventory", lambda: [])
    sub = _submit(gpu_assignments["gpuhw"], {})
    job = sub.jobs.get()
    assert grading_run(job_id=job.pk, worker="celery@no-gpu") == "retry"
    job.refresh_from_db()
    assert job.state == "queued" and job.score is None and "no GPU" in job.events[-1]["detail"]


def _host_has_cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:
        return False


@pytest.mark.skipif(
    not _host_has_cuda(), reason="needs a machine with an NVIDIA GPU and its driver (none here)"
)
@pytest.mark.django_db
def test_torch_sees_the_leased_gpu_inside_the_sandbox(settings, offering, sessions, hw_media, tmp_path):
    settings.GPU_NODES = 1
    settings.GPU_LEASE_DIR = tmp_path / "leases"
    root = tmp_path / "assignments"
    _write_source(
        root,
        "torchgpu",
        TORCH_CELLS,
        _toml(fallback="wait").replace("gpu_memory_mb = 2000", "gpu_memory_mb = 1000"),
    )
    assignment = _sync(offering, root)["torchgpu"]
    sub = _submit(assignment, {"device": "def device():\n    return 'cuda'"})
    job = sub.jobs.get()
    assert grading_run(job_id=job.pk, worker="celery@real-gpu") == "graded"
    job.refresh_from_db()
    assert job.cells["torchgpu"]["test_cuda"]["status"] == "passed", job.cells
    assert job.engine["gpu"]["uuid"].startswith("GPU-")
