"""Fingerprints of files: of digest's own code (a result made by other code is never reused) and of a theme."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def files_fingerprint(folder: Path, paths: Iterable[Path] | None = None) -> str:
    """A sha256 of files in a folder (all of them, without ``paths``): each one's path in the folder and its bytes."""
    if paths is None:
        paths = (p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\x00")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.cache  # the code does not change while digest runs
def source_fingerprint(*parts: str) -> str:
    """A fingerprint of these parts of digest ("models.py", "read": modules and folders of the package), or of
    all its code and data without any."""
    if not parts:
        return files_fingerprint(PACKAGE)
    paths = []
    for part in parts:
        path = PACKAGE / part
        paths += [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return files_fingerprint(PACKAGE, paths)


@functools.lru_cache(maxsize=1)
def pipeline_fingerprint() -> str:
    """Changes whenever any of digest's code or data (or a package its taxonomy reads) changes."""
    from importlib import metadata

    digest = hashlib.sha256(source_fingerprint().encode())
    for package in ("country_converter", "pycountry", "numpy"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return digest.hexdigest()[:32]
