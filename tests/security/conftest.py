"""Fixtures for the security tests: quick password hashing and users of each kind."""

import pytest
from argon2 import PasswordHasher

from tracker.models import Confidentiality, Role
from tracker.services import users
from tracker.services.access import LOCAL_ADMIN, Actor

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Cheap argon2 parameters: the tests check behaviour, not the cost of guessing."""
    monkeypatch.setattr(users, "hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def add_user(engine, username: str, role: Role = Role.viewer, clearance: Confidentiality = Confidentiality.committee) -> Actor:
    return users.add_user(engine, LOCAL_ADMIN, users.validated_user(username, PASSWORD, role, clearance))
