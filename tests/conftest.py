"""Shared test set-up: an isolated read cache, so tests never touch (or trust) the user's."""

import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contacts311-cache")
    old = os.environ.get("CONTACTS311_CACHE_DIR")
    os.environ["CONTACTS311_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("CONTACTS311_CACHE_DIR", None)
    else:
        os.environ["CONTACTS311_CACHE_DIR"] = old


@pytest.fixture
def fresh_python():
    """Run code in a fresh interpreter (this one imported pandas long ago) with extra env."""

    def run(code: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, **env},
        )

    return run
