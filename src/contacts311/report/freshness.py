"""Is a run needed? The run key: inputs, profile, parameters, code and library versions.

Same key, same reports: a run whose key equals the last good run's is skipped. No
library that loads pandas is imported here, so the answer comes in well under a second.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contacts311 import __version__
from contacts311._package import code_digest
from contacts311.inputs import candidate_files, sha256_file
from contacts311.profile import resolve_profile
from contacts311.remote import RemoteObject, is_remote, list_objects, parse_url

__all__ = ["LIBRARIES", "RunKey", "environment", "git_commit", "input_files", "run_key"]

#: Libraries whose versions go into provenance (and into the up-to-date key).
LIBRARIES = (
    "pandas",
    "numpy",
    "matplotlib",
    "statsmodels",
    "pandera",
    "pyarrow",
    "papermill",
    "nbconvert",
    "ipykernel",
)


@dataclass(frozen=True)
class RunKey:
    """A run's key and its per-part digests.

    Attributes:
        key: From :func:`run_key` over everything.
        parts: ``inputs``, ``profile``, ``parameters``, ``code``, ``environment`` -> digest:
            kept with the run, they say *why* a later run was not skipped.
    """

    key: str
    parts: dict[str, str]

    @classmethod
    def compute(
        cls,
        files: Iterable[tuple[str, Path | RemoteObject]],
        profile_path: Path | None,
        parameters: Mapping[str, Any],
        env: Mapping[str, str],
    ) -> RunKey:
        """Hash the input files and the profile, and key them with the parameters and code."""
        hashed = [(name, _fingerprint(p)) for name, p in files]
        profile_sha = sha256_file(profile_path) if profile_path else "default"
        code_sha = code_digest()
        parts = {
            "inputs": run_key(hashed, "", {}, ""),
            "profile": profile_sha,
            "parameters": run_key([], "", parameters, ""),
            "code": code_sha,
            "environment": run_key([], "", {}, "", env),
        }
        return cls(run_key(hashed, profile_sha, parameters, code_sha, env), parts)

    def changed_since(self, run: Mapping[str, Any]) -> list[str]:
        """The parts whose digest differs from those a recorded run kept."""
        kept = run.get("key_parts", {})
        return [k for k, v in self.parts.items() if kept.get(k) != v]


def input_files(
    data_dir: str | Path | None, profile: str | Path | None
) -> list[tuple[str, Path | RemoteObject]]:
    """Every file that can feed a run, as ``(name, path)``, without reading any export.

    A remote folder's objects come as listed (:class:`~contacts311.remote.RemoteObject`),
    nothing downloaded: they key the run by their ETag, size and modification time.

    Raises:
        InputError: No data folder and no ``sources`` in the profile, or a folder that is missing.
    """
    if is_remote(data_dir):
        return [(o.name, o) for o in list_objects(parse_url(str(data_dir)))]
    return candidate_files(data_dir, resolve_profile(profile))


def _fingerprint(file: Path | RemoteObject) -> str:
    """A local file's SHA-256; a remote object's ETag, size and time (its store vouches)."""
    if isinstance(file, RemoteObject):
        return f"etag:{file.etag}:{file.size}:{file.modified}"
    return sha256_file(file)


def run_key(
    inputs: Iterable[tuple[str, str]],
    profile_sha256: str,
    parameters: Mapping[str, Any],
    code_sha256: str,
    environment: Mapping[str, str] | None = None,
) -> str:
    """The key that decides whether a run is needed: same key, same reports.

    Args:
        inputs: ``(name, sha256)`` of every input file.
        profile_sha256: SHA-256 of the profile file (``"default"`` for the bundled one).
        parameters: The notebook parameters in force (user overrides and ``as_of``).
        code_sha256: From :func:`contacts311._package.code_digest`.
        environment: Python and library versions.

    Returns:
        A hex SHA-256 digest; it does not depend on the order of ``inputs`` or ``parameters``.
    """
    doc = {
        "inputs": sorted([str(n), str(s)] for n, s in inputs),
        "profile": profile_sha256,
        "parameters": {k: parameters[k] for k in sorted(parameters)},
        "code": code_sha256,
        "environment": dict(sorted((environment or {}).items())),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def environment() -> dict[str, str]:
    """Python's, contacts311's and each of :data:`LIBRARIES`' versions."""
    from importlib import metadata

    env = {"python": sys.version.split()[0], "contacts311": __version__}
    for lib in LIBRARIES:
        try:
            env[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            env[lib] = "not installed"
    return env


def git_commit() -> str | None:
    """The commit of the source checkout the package runs from, with ``-dirty`` when edited."""
    root = Path(__file__).resolve().parents[3]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
