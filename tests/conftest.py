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


@pytest.fixture(scope="session")
def unprivileged():
    """Prefix a command so it runs without root's power to read and write any file.

    Permission faults can only be made real for a user that permissions bind. As root, the
    command runs as ``nobody`` through util-linux's ``setpriv``; the test is skipped only if
    ``nobody`` cannot even import the package from this checkout.
    """
    if os.geteuid() != 0:
        return lambda command: list(command)
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import contacts311"], capture_output=True, timeout=60
    )
    if probe.returncode != 0:
        pytest.skip("as root, and user 'nobody' cannot import contacts311 from this checkout")
    return lambda command: [*prefix, *command]
