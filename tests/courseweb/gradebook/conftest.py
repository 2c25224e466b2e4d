"""Gradebook fixtures reuse the homework ones (offering, sessions, tiny assignments, students)."""

from tests.courseweb.homework.conftest import (  # noqa: F401
    hw_media,
    offering,
    pair,
    released,
    sessions,
    solo,
    synced,
    ta,
    tiny,
)
