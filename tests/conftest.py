"""Shared test set-up: every test writes under a temporary directory, never into the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
MEDIA_DIR = REPO_ROOT / ".cache" / "media"
TEST_OUTPUT = REPO_ROOT / "test-output"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The project's root folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def vtest_avi() -> Path:
    """Real street surveillance footage (Debian opencv-doc), extracted by ``make media``."""
    path = MEDIA_DIR / "vtest.avi"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make media` (make test does it)")
    return path


@pytest.fixture(scope="session")
def test_output_dir() -> Path:
    """Folder for artefacts people look at after a run (screenshots, maps); not in git."""
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT
