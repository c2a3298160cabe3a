"""Compiled templates are kept in output/.digest-cache/templates from the first build on, so that the build after
an edit loads the theme rather than compiling it; a build that fails leaves none of them behind."""

from __future__ import annotations

from pathlib import Path

import jinja2
from helpers import REPO, invoke

from digest.pipeline.cache import CACHE_DIR
from digest.render import pages


def _count_compiles(monkeypatch) -> list[str]:
    """The names of the templates compiled from now on, with the suite's shared compiled templates set aside
    (see conftest.py): this build compiles, or loads, only what its own output keeps."""
    monkeypatch.setattr(pages, "make_environment", pages.make_environment.__wrapped__)
    compiled: list[str] = []
    compile_template = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return compile_template(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return compiled


def test_the_first_build_keeps_its_compiled_templates_for_the_next(site: Path, monkeypatch):
    compiled = _count_compiles(monkeypatch)
    invoke("build", "--no-search", cwd=site, check=True)
    kept = sorted(p.name for p in (site / "output" / CACHE_DIR / "templates").iterdir())
    assert "story.html" in compiled and len(kept) == len(set(compiled))

    note = sorted((site / "content").rglob("*.txt"))[0]
    note.write_text(note.read_text(encoding="utf-8") + "\n\nUpdate: officials later confirmed the figures.\n", encoding="utf-8")
    compiled.clear()
    second = invoke("build", "--no-search", cwd=site, check=True)
    assert "(0 written" not in second.stdout  # a page was rendered again
    assert compiled == []  # every template the edited pages need was loaded from the first build's
    assert sorted(p.name for p in (site / "output" / CACHE_DIR / "templates").iterdir()) == kept


def test_a_failed_first_build_leaves_no_compiled_templates(site: Path, monkeypatch):
    _count_compiles(monkeypatch)
    (site / "templates").mkdir()
    story = (REPO / "templates" / "story.html").read_text(encoding="utf-8")
    (site / "templates" / "story.html").write_text(story.replace("</article>", "{{ no_such_value }}</article>", 1), encoding="utf-8")
    before = sorted(p.name for p in site.iterdir())
    failed = invoke("build", "--no-search", cwd=site)
    assert failed.returncode == 2 and "story.html" in failed.stderr
    assert sorted(p.name for p in site.iterdir()) == before  # no output/, no staging folder
