"""Shared fixtures of the planner tests: a small real-geometry city (Futian) loaded once."""

from __future__ import annotations

import pytest

from geodata import City
from planner.city import load_plan_city


@pytest.fixture(scope="session")
def futian() -> City:
    """Shenzhen's Futian district with the built-in synthetic streets and hot-spots."""
    return load_plan_city(only=["Futian"], progress=False)
