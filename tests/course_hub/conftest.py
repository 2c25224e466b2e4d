"""One real JupyterHub (with configurable-http-proxy) per test session, for every test of this folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.course_hub.hubstack import HubStack
from tests.workers import REPO


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `pytest -n N --dist loadgroup` (bin/test) every test of the session's hub runs in one test process: one
    hub per run, not one per process. Two hubs give the same site user ids (each process has its own database) the
    same uids (`HUB_BASE_UID` + id), so stopping a server in one hub kills the other hub's server of that uid."""
    for item in items:
        if (
            "hub_stack" in getattr(item, "fixturenames", ())
            and item.get_closest_marker("xdist_group") is None
        ):
            item.add_marker(pytest.mark.xdist_group("course-hub"))


@pytest.fixture(scope="session")
def hub_stack(tmp_path_factory, live_server) -> HubStack:
    """The hub logs users in through the test site (pytest-django's live server); members of `s26` may."""
    if not Path("/usr/bin/bwrap").exists():
        pytest.skip("bubblewrap is not installed: the hub's jailed servers cannot start")
    gpu = fake_gpu_node(tmp_path_factory.mktemp("fake-gpu"))
    stack = HubStack(
        state_dir=tmp_path_factory.mktemp("hub"),
        site_url=live_server.url,
        extra_env={"HUB_OFFERINGS": "s26", **gpu},
    ).start()
    stack.gpu_env = gpu
    yield stack
    stack.stop()


FAKE_GPUS = REPO / "tests" / "gpu_runner" / "data" / "synthetic-nvidia-smi-2xA100.csv"


def fake_gpu_node(folder: Path) -> dict[str, str]:
    """The hub's GPU settings for a node with two (synthetic) A100s: `nvidia-smi` a script printing the recorded
    listing (NVML off), the device nodes plain files, the lease files in a folder of their own."""
    smi = folder / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\ncat '{FAKE_GPUS}'\n")
    smi.chmod(0o755)
    dev = folder / "dev"
    dev.mkdir()
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm"):
        (dev / name).write_text("")
    return {
        "HUB_GPU_NVML": "0",
        "HUB_NVIDIA_SMI": str(smi),
        "GPU_DEV_DIR": str(dev),
        "GPU_LEASE_DIR": str(folder / "leases"),
        "GPU_SLOTS_PER_GPU": "1",
    }


@pytest.fixture
def site_for_hub(settings, monkeypatch, hub_stack, live_server) -> str:
    """The test site configured for the session's hub, with the hub registered as its OpenID Connect client."""
    import io

    from django.core.management import call_command

    from tests.course_hub.hubstack import CLIENT_SECRET

    settings.HUB_URL = hub_stack.url
    settings.HUB_API_URL = hub_stack.api_url
    settings.HUB_SERVICE_TOKEN = hub_stack.token
    monkeypatch.setenv("HUB_CLIENT_SECRET", CLIENT_SECRET)
    call_command("create_hub_application", stdout=io.StringIO())
    return live_server.url


FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def hub_site(settings, hub_stack, tmp_path):
    settings.HUB_URL = hub_stack.url
    settings.HUB_API_URL = hub_stack.api_url
    settings.HUB_SERVICE_TOKEN = hub_stack.token
    settings.MEDIA_ROOT = tmp_path / "media"
    return hub_stack


@pytest.fixture
def assignment(hub_site):
    import datetime as dt

    from django.utils import timezone

    from courseweb.homework.models import Assignment
    from courseweb.homework.services.assignments import assignments_sync
    from tests.factories import OfferingFactory, SessionFactory

    offering = OfferingFactory()
    start = timezone.now() - dt.timedelta(days=1)
    SessionFactory(offering=offering, number=1, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    report = assignments_sync(offering=offering, root=FIXTURES)
    assert report.errors == [], report.errors
    return Assignment.objects.select_related("offering", "item").get(key="hubhw")
