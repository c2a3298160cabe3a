"""Hypothesis: no input crashes the readers, the settings or the pipeline (issue 13).

Documents are built from the pieces real hostile input is made of (impossible dates, YAML tags and
aliases, control characters, page chrome, unsafe links) mixed with arbitrary text and bytes. Every
test checks what must hold of the result, not only that nothing raised. The examples are small and
the ``ci`` profile is derandomised, so the suite is fast and the same on every run. A plain ``pytest`` runs a
quick budget (2,295 examples); DIGEST_FUZZ_BUDGET=full or DIGEST_SUITE=full (the stress tier), which CI
(.ci/run) sets, runs the full one (10,520: issue 13 asks for at least 10,000). Set DIGEST_FUZZ_PROFILE=explore
(and DIGEST_FUZZ_SCALE=10) to search further.
"""

from __future__ import annotations

import math
import os
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.characters import FORBIDDEN
from digest.errors import ConfigError
from digest.models import SourceDocument
from digest.pipeline.load import read_document
from digest.read import parse_document
from digest.read.front_matter import is_safe_url
from digest.read.markdown import KNOWN_KEYS
from digest.settings.config import CaptureConfig, Config, parse_config
from digest.settings.patterns import PATTERN_SETTINGS

settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("DIGEST_FUZZ_PROFILE", "ci"))
FULL_BUDGET = os.environ.get("DIGEST_FUZZ_BUDGET") == "full" or os.environ.get("DIGEST_SUITE") == "full"  # CI sets both
SCALE = float(os.environ.get("DIGEST_FUZZ_SCALE", "1"))


def examples(full: int, quick: int):
    """``full`` examples with DIGEST_FUZZ_BUDGET=full (10,520 across this file), else ``quick`` (2,295), times
    DIGEST_FUZZ_SCALE. Most of an example's time is Hypothesis making it: the quick budget is what makes a local
    run of the suite ~20 CPU-s shorter."""
    return settings(max_examples=max(1, int((full if FULL_BUDGET else quick) * SCALE)))


CAPTURE = CaptureConfig()
SETTINGS_PATH = Path("/nonexistent/site/digest.yaml")  # parse_config never reads it

LINES = [
    "---", "...", "Hashtags", "Try Our AI Features", "Explore what Daily8 AI can do for you:", "Comments", "Related Articles",
    "The Star", "6 hours ago", "an hour ago", "- The Star", "KOTA KINABALU (July 28): The minister said.",
    "ISLAMABAD, July 25 — Police said.", "By Nitya Chakraborty Prime Minister said", "ALSO READ: Floods Return To Vellora They said",
    "The flood hit the town. — Bernama photo", "He resigned on Friday. - AP", "(IPA Service)", "# Heading", "## Sub", "* item",
    "&#12; &#x1b; &#0; &#xfffe;", "[link](javascript:alert(1))", "<script>alert(1)</script>", "\x1b[31m", "\x00", "\x0c", "\x0b",
    "\x08", "\ufffe", "\u2028", "\r\n", "\t", "#floods #Malaysia", "captured: 2025-02-30T10:00:00", "date: 2025-13-45",
]
YAML_SCALARS = [
    "2025-13-45", "2025-02-30", "0000-01-01", "2025-07-28", "2025-07-28T25:00:00", "!!int 0b102", "!!float x", "!!binary é",
    "!!python/object:os.system x", "!!timestamp nope", ".nan", ".inf", "-.inf", "-1", "0", "1e400", "'yes'", "'no'", "yes", "~",
    "javascript:alert(1)", "data:text/html,x", "'https://example.org/a'", "/relative/path", "&a [1, 2]", "*a", "&b [*b]",
    "[1, 2]", "{a: 1}", "[", "{", "'", '"', "|", ">", "? [a]", "\"\\e[31m\"", "\"\\ud800\"", "\"\\x00\"", "<<: {a: 1}",
]
text_pieces = st.one_of(st.sampled_from(LINES), st.text(max_size=30))
bodies = st.lists(text_pieces, max_size=10).map("\n".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.dates(), st.datetimes())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


def yaml_value(value) -> str:
    """One value as YAML text on one line (raw fragments as they are)."""
    if isinstance(value, tuple):
        return value[0]
    return yaml.safe_dump(value, default_flow_style=True, width=math.inf, allow_unicode=True).removesuffix("\n...\n").strip().replace("\n", " ")


def yaml_mapping(data: dict, indent: str = "") -> str:
    return "".join(f"{indent}{key}: {yaml_value(value)}\n" for key, value in data.items())


field_values = st.one_of(values, st.sampled_from(YAML_SCALARS).map(lambda raw: (raw,)))
front_matters = st.dictionaries(st.sampled_from(sorted(KNOWN_KEYS | {"captured", "aggregator", "other"})), field_values, max_size=6)


@st.composite
def documents(draw) -> str:
    """A document: sometimes front matter (valid-looking or not), then a body."""
    head = ""
    if draw(st.booleans()):
        head = "---\n" + yaml_mapping(draw(front_matters)) + draw(st.sampled_from(["---\n", "...\n", "", "---"]))
    return head + draw(bodies)


def assert_publishable(parsed, name: str) -> None:
    """What must hold of any reader's result: diagnostics name the file, text is safe to publish."""
    assert parsed.source == name
    assert all(d.path == name and d.message for d in parsed.diagnostics)
    for article in parsed.articles:
        assert article.headline.strip() and article.source == name
        texts = [article.headline, *article.paragraphs, *article.tags, article.body_html or "", article.outlet or "", article.author or ""]
        assert not any(FORBIDDEN.search(text) for text in texts), article
        assert article.url is None or is_safe_url(article.url)
        assert all(isinstance(tag, str) for tag in article.tags)


# ---------------------------------------------------------------- readers


@examples(1500, 300)  # ~8 ms each on a loaded machine; it found its bug (below) within 1,000
@given(name=st.sampled_from(["page.txt", "note.md", "note.markdown"]), text=documents())
@example(name="page.txt", text="\x00\n---")  # its find: a headline of control characters only
def test_readers_on_arbitrary_text(name, text):
    assert_publishable(parse_document(SourceDocument(name, text, "0" * 64, 0.0), CAPTURE), name)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """In the session's temporary folder, in memory when there is one (in_memory.py): hundreds of files written
    and read again, which on a busy disk would wait on its journal."""
    return tmp_path_factory.mktemp("fuzz")


@examples(1200, 250)
@given(suffix=st.sampled_from([".txt", ".md"]), data=st.one_of(st.binary(max_size=300), documents().map(lambda t: t.encode("utf-8", "surrogatepass")),
                                                              documents().map(lambda t: t.encode("cp1252", "replace"))))
def test_readers_on_arbitrary_bytes(scratch, suffix, data):
    path = scratch / f"doc{suffix}"
    path.write_bytes(data)
    doc, problems = read_document(path, scratch)
    assert all(p.message for p in problems)
    if doc is None:
        assert problems
        return
    assert not FORBIDDEN.search(doc.text)
    assert_publishable(parse_document(doc, CAPTURE), doc.path)


@examples(1200, 250)
@given(meta=front_matters, body=bodies)
def test_front_matter(meta, body):
    text = "---\n" + yaml_mapping(meta) + "---\n" + body
    parsed = parse_document(SourceDocument("note.md", text, "0" * 64, 0.0), CAPTURE)
    assert_publishable(parsed, "note.md")
    title = meta.get("title")
    if isinstance(title, (list, dict)):
        assert all(article.headline != str(title) for article in parsed.articles)
    if meta.get("draft") is True:
        assert not parsed.articles


# ---------------------------------------------------------------- digest.yaml

SECTIONS = {
    "site": st.dictionaries(
        st.sampled_from(["title", "description", "base_url", "language", "author", "cname", "per_page", "other"]), field_values, max_size=4
    ),
    "capture": st.dictionaries(
        st.sampled_from(["chrome_lines", "related_marker", "aggregators", "trailing_tag_words", "capture_time", "other"]), field_values, max_size=3
    ),
    "merge": st.dictionaries(
        st.sampled_from(["threshold", "window_days", "text_weight", "words_weight", "names_weight", "max_shared", "neighbours", "together", "apart"]),
        field_values,
        max_size=4,
    ),
    "redirects": field_values,
    "content_dir": field_values,
    "output_dir": field_values,
    "max_document_mb": field_values,
    "unknown": field_values,
}


def assert_settings_outcome(text: str) -> None:
    """Settings are either a Config whose numbers are usable, or a ConfigError with a message: nothing else."""
    try:
        config = parse_config(text, SETTINGS_PATH)
    except ConfigError as error:
        assert error.problems and all(p.message for p in error.problems)
        return
    assert isinstance(config, Config)
    merge = config.merge
    assert all(math.isfinite(v) and v >= 0 for v in (merge.threshold, merge.text_weight, merge.words_weight, merge.names_weight))
    assert math.isfinite(config.max_document_mb) and config.max_document_mb > 0
    assert all(w.path == str(SETTINGS_PATH) and w.message for w in config.warnings)


@examples(900, 200)
@given(data=st.fixed_dictionaries({}, optional=SECTIONS))
def test_digest_yaml_values_for_known_keys(data):
    text = "".join(
        f"{key}:\n{yaml_mapping(value, '  ')}" if isinstance(value, dict) and value else f"{key}: {yaml_value(value)}\n" for key, value in data.items()
    )
    assert_settings_outcome(text)


@examples(3880, 800)  # ~2 ms each: with the capture patterns they keep the full budget past 10,000 examples
@given(
    text=st.one_of(
        st.text(max_size=80),
        st.lists(st.one_of(st.sampled_from(YAML_SCALARS), text_pieces), max_size=6).map("\n".join),
        st.lists(st.sampled_from(YAML_SCALARS), max_size=4).map(lambda parts: "site:\n  title: " + " ".join(parts)),
    )
)
def test_digest_yaml_arbitrary_documents(text):
    assert_settings_outcome(text)


@examples(150, 50)  # ~25 ms each: a taxonomy is built
@given(
    taxonomy=st.dictionaries(st.sampled_from(["defaults", "regions", "places", "themes", "entities", "weights", "other"]), field_values, max_size=3),
    sections=st.one_of(st.none(), field_values),
)
def test_digest_yaml_taxonomy_and_sections(taxonomy, sections):
    text = ("taxonomy:\n" + yaml_mapping(taxonomy, "  ") if taxonomy else "") + (f"sections: {yaml_value(sections)}\n" if sections is not None else "")
    assert_settings_outcome(text)


# ---------------------------------------------------------------- capture patterns

PATTERN_PIECES = [
    "(?P<place>",
    "(?P<author>",
    "(?P<credit>",
    "(?P<date>",
    "(?P<n>\\d+)",
    "(?P<unit>\\w+)",
    "(",
    ")",
    "(?:",
    "+",
    "*",
    "?",
    "{0,3}",
    "{2}",
    "\\s",
    "\\w",
    "[A-Z]",
    "[^)]",
    "^",
    "$",
    "|",
    ".",
    "(?<!\\S)",
    "\\",
    "(?P=place)",
    "(?(1)a|b)",
    "a",
    "ALSO READ:",
    " ",
    "\\b",
]
SAMPLE_PAGE = (
    "Pakistan urges calm after floods\nBy Nitya Chakraborty\nISLAMABAD (July 25): Pakistan on Friday urged calm. The flood hit. — Bernama photo\n"
    "ALSO READ: Floods Return To Vellora They said more. - AP\nHashtags\n#floods\nRelated Articles\nThe Star\n6 hours ago\n- The Star\n"
    "Sabah polls: PH has a delicate task\nKOTA KINABALU: It will be up to the voters. (IPA Service)\n"
)


@examples(1600, 400)
@given(setting=st.sampled_from(PATTERN_SETTINGS), patterns=st.lists(st.lists(st.sampled_from(PATTERN_PIECES), max_size=8).map("".join), min_size=1, max_size=2))
def test_capture_patterns(setting, patterns):
    text = yaml.safe_dump({"capture": {setting: patterns}}, allow_unicode=True)
    try:
        config = parse_config(text, SETTINGS_PATH)
    except ConfigError as error:
        assert f"capture.{setting}" in error.problems[0].message and error.problems[0].line == 2
        return
    assert_publishable(parse_document(SourceDocument("page.txt", SAMPLE_PAGE, "0" * 64, 0.0), config.capture), "page.txt")


# ---------------------------------------------------------------- the whole pipeline


@pytest.fixture(scope="module")
def site_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-site")


@pytest.fixture(scope="module")
def themes():
    """The compiled theme kept from one example to the next, as the preview's session keeps it: made afresh, each
    example loaded every template again (~10 ms of an example's ~30)."""
    from digest.render.pages import ThemeCache

    return ThemeCache()


LINKS = ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "https://example.org/a", "/a/b", "//example.org/x", "ftp://x"]


@st.composite
def linked_pages(draw) -> tuple[str, str]:
    """A page or note that links to its original: the link must never be unsafe once published."""
    link = draw(st.one_of(st.sampled_from(LINKS), st.text(max_size=20)))
    suffix = draw(st.sampled_from([".txt", ".md"]))
    header = "---\n" + yaml_mapping({"url": link, **({"title": draw(st.text(min_size=1, max_size=20))} if suffix == ".md" else {})}) + "---\n"
    return suffix, header + "Floods force thousands from their homes\n" + draw(bodies) + "\nThe river rose in the night.\n"


def render_generated_site(config: Config, docs: list[tuple[str, str]], themes) -> dict[str, bytes]:
    """gather + site graph + render of ``docs`` (suffix, text) written afresh into the config's content folder
    (``themes``: the compiled theme of the examples before)."""
    from digest.pipeline.gather import gather
    from digest.render.pages import render_pages
    from digest.site.graph import build_site_graph

    shutil.rmtree(config.content_dir, ignore_errors=True)
    config.content_dir.mkdir()
    for number, (suffix, text) in enumerate(docs):
        (config.content_dir / f"doc{number}{suffix}").write_bytes(text.encode("utf-8", "surrogatepass"))
    files, _ = render_pages(build_site_graph(gather(config)), config, themes=themes)
    assert "index.html" in files
    return files


@examples(50, 25)  # ~50 ms each: a whole site rendered
@given(docs=st.lists(st.one_of(st.tuples(st.sampled_from([".txt", ".md"]), documents()), linked_pages()), min_size=1, max_size=4))
@example(docs=[(".txt", "Floods force thousands from their homes\nThe river rose in the night.\nRelated Articles\n\n"
                        "Dam holds after a night of rain\nThe dam held, officials said.\n")])  # a story with no date at all
def test_whole_pipeline_in_memory(site_folder, themes, docs):
    """gather + site graph + render on a small generated content folder: every page and feed is produced,
    the feeds are well-formed XML, and nothing unsafe is published."""
    config = parse_config("site:\n  base_url: https://example.org/news/\n", site_folder / "digest.yaml")
    files = render_generated_site(config, docs, themes)
    for path, data in files.items():
        if path.endswith((".html", ".xml", ".json")):
            text = data.decode("utf-8")
            assert not FORBIDDEN.search(text.replace("\r", "")), path
            assert 'href="javascript:' not in text.lower() and 'href="data:' not in text.lower(), path
        if path.endswith(".xml"):
            ElementTree.fromstring(data)


@examples(40, 20)
@given(site=SECTIONS["site"], docs=st.lists(linked_pages(), min_size=1, max_size=2))
def test_whole_pipeline_with_generated_site_settings(site_folder, themes, site, docs):
    """Whatever site settings are accepted render a site with well-formed feeds."""
    try:
        config = parse_config("site:\n" + yaml_mapping(site, "  "), site_folder / "digest.yaml")
    except ConfigError:
        return
    for path, data in render_generated_site(config, docs, themes).items():
        if path.endswith(".xml"):
            ElementTree.fromstring(data)
