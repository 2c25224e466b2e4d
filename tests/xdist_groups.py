"""A pytest plug-in (loaded by tests/conftest.py): `--dist loadgroup` grouping under pytest 9."""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make `--dist loadgroup` group again under pytest 9.

    pytest-xdist 3.8 names a test's group by setting `item._nodeid = "<nodeid>@<group>"` in each test process, but
    pytest 9 keeps node ids in `item._id`, so the suffix was lost and every test was scheduled on its own: an
    assignment's batch was graded by both processes, and module stacks were started twice. Here the same suffix is
    put where pytest 9 reads it."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        if names and item.nodeid.rfind("@") <= item.nodeid.rfind("]"):
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(sorted(names))}")
