"""Rendering: the built pages, links that work from disk and from a sub-path, metadata, themes, template errors, the memo."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from helpers import REPO, invoke

from digest.pipeline.gather import gather
from digest.render.pages import render_pages
from digest.settings.config import load_config
from digest.site.graph import build_site_graph


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()
        self.meta: dict[str, str] = {}
        self.json_ld: list[str] = []
        self._in_ld = False
        self.h1 = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src", "action"):
            if attrs.get(key) is not None:
                self.refs.append(attrs[key])
        if tag == "link" and attrs.get("rel") == "canonical":
            self.meta["canonical"] = attrs["href"]
        if tag == "meta" and attrs.get("property"):
            self.meta[attrs["property"]] = attrs.get("content", "")
        if tag == "meta" and attrs.get("name") == "description":
            self.meta["description"] = attrs.get("content", "")
        self._in_ld = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld.append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


@pytest.fixture(scope="module")
def built(built_root_site, built_site) -> dict[str, Path]:
    """The shipped site built with the real CLI for a domain root and for a sub-path (once per session)."""
    return {"root": built_root_site, "sub": built_site}


def html_files(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if "pagefind" not in p.parts and ".digest-cache" not in p.parts)


@pytest.mark.parametrize("which", ["root", "sub"])
def test_every_internal_link_resolves_on_disk(built, which):
    output = built[which]
    base_path = "/" if which == "root" else "/digest/"
    checked = 0
    for page in html_files(output):
        links = parse(page)
        for ref in links.refs:
            parts = urlsplit(ref)
            if parts.scheme or ref.startswith("#") and not ref[1:]:
                continue
            if ref.startswith("#"):
                assert ref[1:] in links.ids, f"{page}: no element with id {ref}"
                continue
            if page.name == "404.html" and page.parent == output:  # served at any depth: links from the base path
                assert parts.path.startswith(base_path), f"404.html links {ref}, not from {base_path}"
                target = output / unquote(parts.path[len(base_path):])
            else:
                assert not parts.path.startswith("/"), f"{page}: root-relative link {ref} breaks under a sub-path"
                target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.relative_to(output)}: {ref} -> {target} does not exist (a folder link does not open from disk)"
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in parse(target).ids, f"{page}: {ref} has no target id"
            checked += 1
    assert checked > 200


def test_pages_have_one_h1_unique_titles_descriptions_and_canonical_links(built):
    output = built["sub"]
    titles = set()
    for page in html_files(output):
        text = page.read_text(encoding="utf-8")
        links = parse(page)
        assert links.h1 == 1, f"{page}: {links.h1} h1 elements"
        title = re.search(r"<title>(.*?)</title>", text, re.S).group(1)
        assert title not in titles, f"duplicate title {title}"
        titles.add(title)
        assert links.meta.get("description"), f"{page}: no meta description"
        assert '<html lang="en">' in text
        if page.name != "404.html":
            folder = page.relative_to(output).as_posix().removesuffix("index.html")
            assert links.meta["canonical"] == "https://example.org/digest/" + folder
            assert links.meta["og:url"] == links.meta["canonical"]
            assert links.meta["og:title"] and links.meta["og:description"]


def test_story_pages_carry_news_article_json_ld(built):
    output = built["sub"]
    stories = sorted((output / "stories").glob("*/index.html"))
    assert stories
    for page in stories:
        (raw,) = parse(page).json_ld
        data = json.loads(raw)
        assert data["@type"] == "NewsArticle" and data["@context"] == "https://schema.org"
        assert data["headline"] and data["url"].startswith("https://example.org/digest/stories/")
        assert data["publisher"]["name"]
        laid_out = json.dumps(data, ensure_ascii=False, indent=1)  # the layout json itself gives it
        assert raw == laid_out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@pytest.mark.parametrize("value", [
    {"headline": 'Ünïcode "quoted" <b>&</b> \\ \n\u2028 ✓', "about": [{"@type": "Person", "name": "A"}, {}], "none": None},
    {"numbers": [1, -2.5, 1e100, True, False, None], "empty": [], "nested": [[[]], {"x": {}}], "odd keys": {1: "a", None: "b"}},
    [], {}, "text", 7, [{"a": [{"b": ["c"]}]}],
])
def test_json_ld_is_written_as_json_lays_it_out(value):
    from digest.render.filters import to_json_ld

    written = json.dumps(value, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    assert str(to_json_ld(value)) == written


def test_story_page_shows_versions_provenance_and_what_each_adds(built):
    output = built["sub"]
    text = (output / "stories").joinpath(
        next(p.parent.name for p in (output / "stories").glob("*/index.html") if "481 accounts" in p.read_text(encoding="utf-8")),
        "index.html").read_text(encoding="utf-8")
    assert 'aria-labelledby="coverage"' in text and "What each outlet adds" in text
    assert "date from the dateline" in text  # provenance, in words
    assert text.count('class="version"') == 2
    assert re.search(r'<details class="filing"[^>]*>\s*<summary><span class="summary-title">Why it is filed here', text)
    assert 'data-pagefind-body' in text
    assert re.search(r'href="\.\./\.\./entities/[^"]+/index\.html"', text), "entities link to their pages"


def test_front_page_lists_sections_in_the_configured_order(built):
    config = load_config(REPO / "digest.yaml")
    names = [s["name"] for s in config.sections]
    text = (built["sub"] / "index.html").read_text(encoding="utf-8")
    headings = re.findall(r'<h2 id="section-\d+"><a href="[^"]+">([^<]+)</a></h2>', text)
    configured = [h for h in headings if h in names]
    assert configured == [n for n in names if n in headings]
    assert headings[-1] == "Other news" or "Other news" not in headings
    assert "Edition of" in text and "sources</strong>" in text


def test_stylesheet_and_icon_have_content_hashed_names(built):
    static = sorted(p.name for p in (built["sub"] / "static").iterdir())
    assert any(re.fullmatch(r"style\.[0-9a-f]{10}\.css", n) for n in static)
    assert any(re.fullmatch(r"favicon\.[0-9a-f]{10}\.svg", n) for n in static)
    css = next((built["sub"] / "static").glob("style.*.css")).read_text(encoding="utf-8")
    assert "prefers-color-scheme: dark" in css and "@media print" in css
    assert "http://" not in css and "https://" not in css and "@import" not in css  # no external requests


def test_no_page_requests_anything_from_elsewhere(built):
    for page in html_files(built["root"]):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r'<(?:link|script|img)[^>]+(?:href|src)="(https?:[^"]+)"', text):
            tag = match.group(0)
            assert 'rel="canonical"' in tag or 'rel="alternate"' in tag, f"{page}: external resource {match.group(1)}"


# ---------------------------------------------------------------- themes and template errors


def test_a_site_template_overrides_the_default_file_by_file(site):
    (site / "templates" / "static").mkdir(parents=True)
    (site / "templates" / "404.html").write_text('{% extends "base.html" %}{% block main %}<h1>Lost at sea</h1>{% endblock %}', encoding="utf-8")
    (site / "templates" / "static" / "style.css").write_text("body { color: teal; }\n", encoding="utf-8")
    invoke("build", "--no-search", cwd=site, check=True)
    output = site / "output"
    assert "Lost at sea" in (output / "404.html").read_text(encoding="utf-8")
    assert "<h2 id=\"coverage\">Coverage</h2>" in next((output / "stories").glob("*/index.html")).read_text(encoding="utf-8")  # default story.html
    (css,) = (output / "static").glob("style.*.css")
    assert css.read_text(encoding="utf-8") == "body { color: teal; }\n"


@pytest.mark.parametrize("line4, expected", [
    ("{% if %}", "template syntax error"),  # a syntax error
    ("<p>{{ no_such_value.title }}</p>", "'no_such_value' is undefined (while rendering about/index.html)"),  # StrictUndefined
])
def test_a_template_error_names_the_site_template_and_line(site, line4, expected):
    (site / "templates").mkdir()
    about = f'{{% extends "base.html" %}}\n{{% block main %}}\n<h1>About</h1>\n{line4}\n{{% endblock %}}\n'
    (site / "templates" / "about.html").write_text(about, encoding="utf-8")
    result = invoke("build", "--no-search", cwd=site)
    assert result.returncode == 2
    assert "templates/about.html:4: " in result.stderr, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (site / "output").exists(), "nothing is written when a template fails"


# ---------------------------------------------------------------- the memo


@pytest.fixture(scope="module")
def shipped():
    config = load_config(REPO / "digest.yaml")
    return config, build_site_graph(gather(config))


def test_unchanged_pages_are_reused_from_the_memo(shipped):
    config, graph = shipped
    files, memo = render_pages(graph, config)
    assert set(memo) == {page.path for page in graph.pages}
    sentinel = b"<!-- reused -->"
    previous = {path: (key, sentinel) for path, (key, _) in memo.items()}
    story = next(p.path for p in graph.pages if p.kind == "story")
    previous[story] = ("stale-fingerprint", sentinel)
    again, _ = render_pages(graph, config, previous)
    assert again["index.html"] == sentinel  # same fingerprint: not rendered again
    assert again[story] == files[story]  # changed fingerprint: rendered afresh
    assert render_pages(graph, config)[0] == files  # and rendering is deterministic


def test_rendering_on_both_cores_gives_the_same_bytes(shipped, monkeypatch):
    import digest.render.pages as render

    config, graph = shipped
    serial = render_pages(graph, config)[0]
    monkeypatch.setattr(render, "PARALLEL_RENDER_MIN", 1)
    assert render_pages(graph, config)[0] == serial


def test_template_keys_follow_plain_references_and_give_up_on_expressions(tmp_path):
    from digest.render.pages import make_environment, template_keys

    (tmp_path / "base.html").write_text("<main>{% block main %}{% endblock %}</main>", encoding="utf-8")
    (tmp_path / "part.html").write_text("part", encoding="utf-8")
    (tmp_path / "page.html").write_text('{% extends "base.html" %}{% block main %}{%- include "part.html" -%}{% endblock %}', encoding="utf-8")
    (tmp_path / "other.html").write_text("{% extends 'base.html' %}", encoding="utf-8")
    (tmp_path / "dynamic.html").write_text('{% extends "base.html" %}{% include "part" ~ ".html" %}', encoding="utf-8")
    env = make_environment([tmp_path])

    def keys() -> dict[str, str]:
        key = template_keys(env, str(sorted(p.read_bytes() for p in tmp_path.iterdir())), {})  # nothing kept between calls
        return {name: key(name) for name in ("page.html", "other.html", "dynamic.html")}

    before = keys()
    (tmp_path / "part.html").write_text("part, edited", encoding="utf-8")
    after = keys()
    assert after["page.html"] != before["page.html"]  # it includes part.html
    assert after["other.html"] == before["other.html"]  # it does not
    assert after["dynamic.html"] == str(sorted(p.read_bytes() for p in tmp_path.iterdir()))  # an expression: the whole theme's key


def test_templates_output_what_jinjas_own_escaping_would(tmp_path):
    """Compiled templates escape output values with ``escape_output``, not ``markupsafe.escape``: the same text."""
    import jinja2
    from markupsafe import Markup

    from digest.render.pages import make_environment

    (tmp_path / "_m.html").write_text("{% macro b(x) %}<b>{{ x }}</b>{% endmacro %}", encoding="utf-8")
    (tmp_path / "page.html").write_text(
        '{% from "_m.html" import b %}{% set block %}<i>{{ text }}</i>{% endset %}'
        "{{ text }}|{{ safe }}|{{ number }}|{{ nothing }}|{{ html_object }}|{{ b(text) }}|{{ block }}|{{ text ~ safe }}|"
        "{{ text|e }}|{{ text|safe }}|{% filter upper %}{{ text }}{% endfilter %}|"
        "{% autoescape false %}{{ text }}{% endautoescape %}|{{ [text] }}|{{ missing }}", encoding="utf-8")

    class HtmlObject:
        def __html__(self):
            return "<em>known</em>"

    values = {"text": "Tom & Jerry's <\"show\">", "safe": Markup("<br>"), "number": 4.5, "nothing": None, "html_object": HtmlObject()}
    ours = make_environment([tmp_path])
    jinjas = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path)), undefined=jinja2.StrictUndefined,
                                autoescape=True, trim_blocks=True, lstrip_blocks=True)
    with pytest.raises(jinja2.UndefinedError, match="'missing' is undefined"):
        ours.get_template("page.html").render(values)
    values["missing"] = "&"
    rendered = ours.get_template("page.html").render(values)
    assert rendered == jinjas.get_template("page.html").render(values)
    assert "Tom &amp; Jerry&#39;s &lt;&#34;show&#34;&gt;|<br>|4.5|None|<em>known</em>|<b>Tom &amp;" in rendered
    assert "{% autoescape" not in rendered and "|Tom & Jerry's <\"show\">|" in rendered  # not escaped where it is off
