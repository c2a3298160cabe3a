"""Which folders digest may replace with a built site.

A build replaces the output folder as a whole, so a mistyped ``--output .`` or ``output_dir: content`` would
destroy the sources. Before anything is read, the output folder is refused when it

- is, or contains, the site folder or the folder holding digest.yaml (``--output .``, ``output_dir: ..``);
- is, contains or sits inside content/, templates/ or the repository's .git (``output_dir: content/site``);
- exists and is not a folder;
- is not empty and was not made by digest: it has neither the marker file every build writes (``.digest-output``)
  nor, from digest versions before the marker, digest's own cache folder (``.digest-cache``).

Paths are compared after following symbolic links, so a link cannot smuggle a source folder in.
"""

from __future__ import annotations

import os
from pathlib import Path

from digest.errors import BuildError
from digest.pipeline.cache import CACHE_DIR
from digest.settings.config import Config

MARKER = ".digest-output"  # written into every built site: this folder is digest's to replace
MARKER_TEXT = "This folder is made by digest: each build replaces all of it (files put here by hand go too).\n"


def made_by_digest(folder: Path) -> bool:
    return (folder / MARKER).is_file() or (folder / CACHE_DIR).is_dir()


def check_output_folder(config: Config) -> Path:
    """The output folder, with links followed, if digest may replace it; otherwise a ``BuildError`` (exit 2)
    naming the setting that chose it and what to write instead."""
    output = Path(os.path.realpath(config.output_dir))
    for source, name, inside_allowed in _sources(config):
        if output == source:
            _refuse(config, f"it is {name} ({source})")
        if source.is_relative_to(output):
            _refuse(config, f"it contains {name} ({source})")
        if not inside_allowed and output.is_relative_to(source):
            _refuse(config, f"it is inside {name} ({source})")
    if output.exists() or output.is_symlink():
        if not output.is_dir():
            _refuse(config, f"{output} exists and is not a folder")
        if not made_by_digest(output) and _has_entries(output):
            _refuse(config, f"{output} is not empty and was not made by digest (it has no {MARKER} file)")
    return output


def _sources(config: Config) -> list[tuple[Path, str, bool]]:
    """(folder, what it is, whether the output may sit inside it)."""
    real = lambda path: Path(os.path.realpath(path))  # noqa: E731
    root = real(config.root)
    found = [(root, "the site folder", True)]
    if config.source_file is not None:
        found.append((real(config.source_file).parent, f"the folder of {config.source_file.name}", True))
    found += [(real(config.content_dir), "the content folder", False), (real(config.templates_dir), "the templates folder", False)]
    for folder in (root, *root.parents):  # the repository the site lives in, if any
        if (folder / ".git").exists():
            found.append((real(folder / ".git"), "the git repository's .git folder", False))
            break
    return found


def _has_entries(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(True for _ in entries)
    except OSError:
        return False


def _refuse(config: Config, why: str) -> None:
    raise BuildError(
        f"{config.output_setting} is refused as the output folder: {why}",
        hint="a build replaces its output folder completely; choose a new or empty folder of its own "
             "(e.g. output_dir: output in digest.yaml, or --output output)",
    )
