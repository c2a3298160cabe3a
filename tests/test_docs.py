"""The documentation site: the settings reference is complete and true, and the site builds with --strict."""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from digest.settings.config import parse_config
from digest.settings.reference import (
    Setting,
    UndocumentedSetting,
    _dataclass_entries,
    _rows,
    full_example,
    nested,
    plain,
    settings_reference,
    yaml_text,
)

REPO = Path(__file__).resolve().parent.parent
UNKNOWN_KEY = re.compile(r"unknown setting '(?P<label>[^']+)' is ignored \(known here: (?P<known>[^)]*)\)")


def _keys_by_container(settings: tuple[Setting, ...]) -> dict[tuple, set[str]]:
    """For each mapping of digest.yaml (where its example sits), the keys the reference documents there."""
    found: dict[tuple, set[str]] = {}
    for row in settings:
        found.setdefault(row.path[:-1], set()).add(str(row.path[-1]))
    return found


def _load(tmp_path: Path, document: dict):
    path = tmp_path / "digest.yaml"
    path.write_text(yaml_text(document), encoding="utf-8")
    return parse_config(path.read_text(encoding="utf-8"), path)


def test_every_key_the_loader_accepts_is_documented_and_every_documented_key_is_accepted(tmp_path: Path) -> None:
    # The loader names the keys it knows when it meets one it does not: put an unknown key into each
    # mapping of the full example and compare what it knows there with what the reference documents.
    settings = settings_reference()
    containers = _keys_by_container(settings)
    assert len(containers) >= 10  # top level, site, capture, merge, taxonomy, its weights, a region, a theme, an entity, a section
    for container, documented in containers.items():
        document = full_example(settings)
        target = document
        for step in container:
            target = target[step]
        target["zz_not_a_setting"] = 1
        warnings = [UNKNOWN_KEY.search(w.message) for w in _load(tmp_path, document).warnings]
        label = ".".join(str(step) for step in (*container, "zz_not_a_setting"))
        known = [m["known"] for m in warnings if m and m["label"] == label]
        assert known, f"no unknown-key warning for {label}: {warnings}"
        assert set(known[0].split(", ")) == documented, f"{label}: the loader knows {known[0]}; the reference documents {sorted(documented)}"


def test_every_key_has_a_meaning_a_type_and_an_example() -> None:
    for row in settings_reference():
        assert row.doc.strip() and row.type and row.example is not None, row.key
    keys = {row.key for row in settings_reference()}
    assert {"site.base_url", "capture.datelines", "merge.threshold", "taxonomy.weights.min_score",
            "taxonomy.regions.<name>.un", "sections[].theme", "redirects", "output_dir"} <= keys


def test_a_settings_field_without_documentation_stops_the_reference() -> None:
    @dataclass(frozen=True)
    class Half:
        documented: int = field(default=1, metadata={"doc": "has its line"})
        forgotten: int = 2

    with pytest.raises(UndocumentedSetting, match=r"half\.forgotten: a digest.yaml key without documentation"):
        _rows(_dataclass_entries(Half, ("half",)), ("half",), ("half",))


def test_the_example_of_every_key_loads_without_a_warning_and_means_what_it_says(tmp_path: Path) -> None:
    settings = settings_reference()
    config = _load(tmp_path, full_example(settings))
    assert [str(w) for w in config.warnings] == []
    for row in settings:
        section = row.path[0]
        if len(row.path) == 2 and section in ("site", "capture", "merge"):
            assert plain(getattr(getattr(config, section), row.path[1])) == plain(row.example), row.key
    assert config.taxonomy.weights.headline == 3 and config.taxonomy.themes["crime"].label == "Crime and courts"
    assert [s.name for s in config.sections] == ["South Asia security", "Trade"]
    assert [(r.old, r.to) for r in config.redirects] == [("pakistan-urges-platforms", "pakistan-urges-global-social-media-platforms-to-block-accounts-run")]


def test_the_example_of_a_key_inside_a_named_entry_is_shown_inside_that_entry() -> None:
    rows = {row.key: row for row in settings_reference()}
    un, theme = rows["taxonomy.regions.<name>.un"], rows["sections[].theme"]
    assert yaml_text(nested(un.path, un.example)) == "taxonomy:\n  regions:\n    South Asia:\n      un: Southern Asia\n"
    assert yaml_text(nested(theme.path, theme.example)) == "sections:\n- theme: security\n"


def _mkdocs_or_skip() -> None:
    if importlib.util.find_spec("mkdocs") is None:
        if os.environ.get("DIGEST_REQUIRE_QUALITY_TOOLS") == "1":
            pytest.fail("mkdocs is not installed; DIGEST_REQUIRE_QUALITY_TOOLS=1 requires it (pip install -e '.[test]')")
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")


def test_the_docs_site_builds_strictly_and_its_reference_lists_every_key(tmp_path: Path) -> None:
    _mkdocs_or_skip()
    out = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(out)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    reference = (out / "configuration" / "index.html").read_text(encoding="utf-8")
    for row in settings_reference():
        assert f"<code>{html.escape(row.key, quote=False)}</code>" in reference, row.key
    assert "settings reference: generated" not in reference  # the hook replaced its marker
    assert not (out / "hooks.py").exists()


def test_the_readme_quick_start_works_as_written(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-euc", quick_start], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "Harbour reopens after storm" in result.stdout  # digest list
    assert "Harbour reopens after storm" in (tmp_path / "my-digest" / "output" / "index.html").read_text(encoding="utf-8")
