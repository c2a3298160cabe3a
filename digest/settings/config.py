"""``digest.yaml``: loaded once into a typed, validated, frozen ``Config``.

Every problem is collected and reported together (``ConfigError``) with its line;
unknown keys are warnings, so a typo never silently does nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

import yaml

from digest.errors import ConfigError, DigestError
from digest.models import Diagnostic
from digest.settings.documented import NOT_A_SETTING, documented
from digest.slugs import is_slug, slugify
from digest.taxonomy.model import Section, Taxonomy, build_taxonomy, default_taxonomy

CONFIG_FILE = "digest.yaml"


# ---------------------------------------------------------------- sections


@dataclass(frozen=True)
class SiteConfig:
    title: str = field(default="News digest", metadata=documented("the site's name: page titles, the header, the feeds", example="Regional News Digest"))
    description: str = field(default="A digest of the news, merged across outlets and grouped by region and theme.", metadata=documented("one sentence on what the digest covers: on the front page, the about page and every page's footer; the feeds' subtitle", example="South Asia security, trade and Malaysian politics, merged across outlets."))
    base_url: str = field(default="https://example.org/", metadata=documented("the public address (feeds, sitemap, canonical links; its path is the sub-path the site is served under); `--base-url` overrides it", example="https://alice.github.io/news-digest/"))
    language: str = field(default="en", metadata=documented("the language of the pages (`<html lang>`) and the feeds"))
    author: str = field(default="", metadata=documented("the feeds' author and the stories' publisher (JSON-LD); the title when empty", example="The Digest Desk"))
    cname: str = field(default="", metadata=documented("a custom domain for GitHub Pages; written as `CNAME` when set", example="news.example.com"))
    per_page: int = field(default=20, metadata=documented("list pages paginate after this many stories (the archive after twice that)", example=30))

    @property
    def base_path(self) -> str:
        """The URL path the site lives under: "/" or "/repo/"."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


DEFAULT_CHROME_START = (
    "Hashtags",
    "Try Our AI Features",
    "Explore what Daily8 AI can do for you:",
    "Comments",
    "No comments yet...",
    "Related Articles",
)


@dataclass(frozen=True)
class CaptureConfig:
    """How captured pages (``.txt``) are taken apart. Patterns are regular expressions."""

    chrome_lines: tuple[str, ...] = field(default=DEFAULT_CHROME_START, metadata=documented("exact lines of site chrome: the first one ends the lead article; all are dropped", example=("Share this story", "Newsletter", "Sign up to SeaNews Daily", "More from SeaNews")))
    related_marker: str = field(default="Related Articles", metadata=documented("the line after which the related articles follow (each: outlet, age, `- outlet`, headline, body)", example="More from SeaNews"))
    aggregators: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {"Daily8": ("Explore what Daily8 AI can do for you:", "Daily8 AI")}, metadata=documented("the site pages were captured from, by name, recognised by any of its lines", example={"SeaNews": ("SeaNews Daily",)}))
    inline_promos: tuple[str, ...] = field(default=(r"ALSO READ:",), metadata=documented("the start of a promotion inside a body; removed with the headline it promotes (which runs until the next sentence starts)", example=("SEE ALSO >>",)))
    photo_captions: tuple[str, ...] = field(default=(r"(?<!\S)[—–-]\s*(?!The |A |This |His |Her )(?P<credit>[A-Z][\w&.'’-]*(?: [A-Z][\w&.'’-]*){0,2}) (?:[Ff]ile )?(?:photo|pic|picture|image)s?\b\.?",), metadata=documented("the credit that ends a photo caption; the caption (the sentence before it) and the credit leave the body, group `credit` is kept as the photo credit", example=(r"\((?P<credit>[A-Z]\w+)/SeaNews photo\)",)))
    bylines: tuple[str, ...] = field(default=(r"^By\s+(?P<author>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})(?:\s*$|[\s,|]+)",), metadata=documented("a byline at the start of a body; group `author` (title words such as `Prime Minister` that run on from a one-line body are trimmed off the name)", example=(r"^Words by (?P<author>[A-Z]\w+ [A-Z]\w+)$",)))
    credits: tuple[str, ...] = field(default=(r"\s[-–—]\s*(?P<credit>AP|AFP|Reuters|Bernama|PTI|ANI|IANS|Xinhua)\s*$", r"\((?P<credit>[A-Z][\w ]{1,40}? Service|IPA|PTI|IANS|ANI|Bernama)\)\s*$"), metadata=documented("a credit at the end of a body; group `credit`", example=(r"\((?P<credit>Lusa)\)$",)))
    datelines: tuple[str, ...] = field(default=(
        r"^(?P<place>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3})\s*(?:\((?P<date>[^)]{3,30})\))?\s*:\s+",
        r"^(?P<place>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3}),\s*(?P<date>[A-Z][a-z]+\.? \d{1,2}(?:,? \d{4})?)\s*(?:\([^)]{2,30}\))?\s*[-–—]\s+",
    ), metadata=documented("a dateline at the start of a body; group `place`, optional group `date` (`July 28`)", example=(r"^(?P<place>[A-Z][a-z]+) \((?P<date>[A-Z][a-z]+ \d{1,2})\) -- ",)))
    relative_ages: tuple[str, ...] = field(default=(r"^(?P<n>\d+|an?|one)\s+(?P<unit>second|sec|minute|min|hour|hr|day|week)s?\s+ago$",), metadata=documented("the age line under a related article's outlet; groups `n` (a number, `a`, `an`) and `unit`", example=(r"^(?P<n>\d+) (?P<unit>hr)s? ago$",)))
    trailing_tag_words: int = field(default=8, metadata=documented("a last run of at most this many words with no full stop is a tag list left from the page (`GRS-PH lead Salleh Said Keruak`) and is dropped; 0 keeps it", example=0))
    capture_time: str | None = field(default=None, metadata=documented("when pages whose header gives no `captured:` were saved (ISO 8601); relative ages resolve against it", example="2025-07-28T18:30:00+08:00"))


@dataclass(frozen=True)
class MergeConfig:
    """When two articles are one story. See ``digest/stories/merge.py``."""

    threshold: float = field(default=0.28, metadata=documented("combined evidence needed to merge (the weights below; each evidence is 0..1); raise it to merge less", example=0.35))
    window_days: int = field(default=3, metadata=documented("articles with exact dates further apart than this are never merged", example=2))
    text_weight: float = field(default=0.6, metadata=documented("weight of shared wording: the share of the shorter article's word 3-shingles the other has"))
    words_weight: float = field(default=0.25, metadata=documented("weight of similar vocabulary: TF-IDF cosine of the content words (the same event written differently)"))
    names_weight: float = field(default=0.15, metadata=documented("weight of shared people, organisations and places, rarer names counting more"))
    max_shared: int = field(default=50, metadata=documented("shingles and names shared by more articles than this propose no pairs"))
    neighbours: int = field(default=8, metadata=documented("within one shared key, each article is paired with this many nearest in time"))
    together: tuple[tuple[str, ...], ...] = field(default=(), metadata=documented("lists of article ids that are one story (`digest list --articles` shows the ids)", example=(("002_ea217e3b9676bec5#3", "002_ea217e3b9676bec5#1"),)))
    apart: tuple[tuple[str, ...], ...] = field(default=(), metadata=documented("lists of article ids that are never in one story, not even through a third version", example=(("000_c15c41152a26c795", "002_ea217e3b9676bec5"),)))


@dataclass(frozen=True)
class Redirect:
    """An old story address kept working: ``stories/<old>/`` sends readers on to the story at ``stories/<to>/``."""

    old: str
    to: str
    line: int | None = None  # in digest.yaml


@dataclass(frozen=True)
class Config:
    root: Path = field(metadata=NOT_A_SETTING)  # the folder holding digest.yaml; relative paths are resolved against it
    site: SiteConfig = field(default=SiteConfig(), metadata=documented("the site's name, public address and paging"))
    capture: CaptureConfig = field(default=CaptureConfig(), metadata=documented("how captured pages (`.txt`) are taken apart; the defaults read Daily8 pages, and setting a key replaces its default list"))
    merge: MergeConfig = field(default=MergeConfig(), metadata=documented("when two articles are one story"))
    taxonomy: Taxonomy = field(default_factory=default_taxonomy, repr=False, metadata=documented("what stories are filed under: regions, places, themes, known entities, and how much a mention counts"))
    sections: tuple[Section, ...] = field(default=(), metadata=documented("the front page's sections, in order: the first whose filters all match a story takes it; the rest are under \"Other news\"", example=({"name": "South Asia security", "region": "South Asia", "theme": "security"}, {"name": "Trade", "theme": "trade"})))
    redirects: tuple[Redirect, ...] = field(default=(), metadata=documented("old story slug: the story's slug now, one line per moved story; `stories/<old>/` then sends readers on to it", example={"pakistan-urges-platforms": "pakistan-urges-global-social-media-platforms-to-block-accounts-run"}))
    content_dir: Path = field(default=Path("content"), metadata=documented("the documents' folder, relative to digest.yaml"))
    output_dir: Path = field(default=Path("output"), metadata=documented("where `digest build` writes the site, relative to digest.yaml"))
    templates_dir: Path = field(default=Path("templates"), metadata=documented("the site's own templates, searched before the default theme's, file by file"))
    source_file: Path | None = field(default=None, metadata=NOT_A_SETTING)
    warnings: tuple[Diagnostic, ...] = field(default=(), metadata=NOT_A_SETTING)

    def with_overrides(self, *, output_dir: Path | None = None, base_url: str | None = None) -> "Config":
        from dataclasses import replace

        cfg = self
        if output_dir is not None:
            cfg = replace(cfg, output_dir=output_dir.resolve())
        if base_url is not None:
            problems = base_url_problems(base_url)
            if problems:
                raise ConfigError([DigestError(f"--base-url {base_url!r}: {problems}", hint="use e.g. https://user.github.io/repo/")])
            cfg = replace(cfg, site=replace(cfg.site, base_url=normalise_base_url(base_url)))
        return cfg


# ---------------------------------------------------------------- loading


def load_config(path: Path | str | None = None, *, root: Path | None = None) -> Config:
    """Read ``digest.yaml`` (or defaults when ``path`` is None and none exists)."""
    if path is None:
        root = (root or Path.cwd()).resolve()
        candidate = root / CONFIG_FILE
        if not candidate.exists():
            return _resolve_paths(Config(root=root), root)
        path = candidate
    path = Path(path)
    if not path.exists():
        raise ConfigError([DigestError("configuration file not found", str(path), hint=f"create {CONFIG_FILE} or pass --config PATH")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([DigestError(f"cannot read the configuration: {exc}", str(path))]) from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    display = str(path)
    try:
        node, data = _compose_and_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([DigestError(f"invalid YAML: {problem}", display, line, hint="check indentation and quoting near that line")]) from exc
    if data is None:
        data = {}
    ctx = _Context(display, _line_index(node))
    if not isinstance(data, dict):
        ctx.error((), "the file must be a mapping of settings (key: value)")
        raise ConfigError(ctx.problems)

    root = path.resolve().parent
    known = {"site", "capture", "merge", "taxonomy", "sections", "redirects", "content_dir", "output_dir", "templates_dir"}
    ctx.unknown_keys((), data, known)
    site = _section(SiteConfig, data.get("site"), ("site",), ctx, checks={"base_url": base_url_problems})
    if not ctx.problems_at(("site", "base_url")):
        site = SiteConfig(**{**site.__dict__, "base_url": normalise_base_url(site.base_url)})
    capture = _section(CaptureConfig, data.get("capture"), ("capture",), ctx, checks={
        name: _regex_problems for name in ("inline_promos", "photo_captions", "bylines", "credits", "datelines", "relative_ages")
    } | {"capture_time": _time_problems})
    merge = _section(MergeConfig, data.get("merge"), ("merge",), ctx)
    taxonomy, sections = build_taxonomy(data.get("taxonomy"), data.get("sections"), ctx)
    redirects = _redirects(data.get("redirects"), ctx)
    dirs = {}
    for key in ("content_dir", "output_dir", "templates_dir"):
        value = data.get(key, key.removesuffix("_dir") if key != "templates_dir" else "templates")
        if not isinstance(value, str) or not value.strip():
            ctx.error((key,), "must be a folder path (text)")
            value = key.removesuffix("_dir")
        dirs[key] = Path(value)

    if ctx.problems:
        raise ConfigError(ctx.problems)
    config = Config(
        root=root, site=site, capture=capture, merge=merge, taxonomy=taxonomy,
        sections=tuple(sections), redirects=redirects, source_file=path, warnings=tuple(ctx.warnings), **dirs,
    )
    return _resolve_paths(config, root)


def _resolve_paths(config: Config, root: Path) -> Config:
    from dataclasses import replace

    return replace(
        config,
        content_dir=(root / config.content_dir).resolve(),
        output_dir=(root / config.output_dir).resolve(),
        templates_dir=(root / config.templates_dir).resolve(),
    )


# ---------------------------------------------------------------- validation helpers

KeyPath = tuple[Any, ...]


class _Context:
    def __init__(self, path: str, lines: dict[KeyPath, int]):
        self.path = path
        self.lines = lines
        self.problems: list[DigestError] = []
        self.warnings: list[Diagnostic] = []

    def line(self, keys: KeyPath) -> int | None:
        while keys and keys not in self.lines:
            keys = keys[:-1]
        return self.lines.get(keys)

    def error(self, keys: KeyPath, message: str, hint: str | None = None) -> None:
        label = ".".join(str(k) for k in keys)
        self.problems.append(DigestError(f"{label}: {message}" if label else message, self.path, self.line(keys), hint))

    def problems_at(self, keys: KeyPath) -> bool:
        label = ".".join(str(k) for k in keys)
        return any(p.message.startswith(label + ":") for p in self.problems)

    def unknown_keys(self, keys: KeyPath, data: Mapping, known: set[str]) -> None:
        for key in data:
            if key not in known:
                label = ".".join(str(k) for k in (*keys, key))
                self.warnings.append(Diagnostic(self.path, self.line((*keys, key)), f"unknown setting '{label}' is ignored (known here: {', '.join(sorted(known))})"))


def _section(cls, data: Any, keys: KeyPath, ctx: _Context, checks: Mapping[str, Callable[[Any], str | None]] | None = None):
    """Build a section dataclass from a mapping, checking each value against the field's default type."""
    default = cls()
    if data is None:
        return default
    if not isinstance(data, dict):
        ctx.error(keys, "must be a mapping of settings")
        return default
    names = {f.name for f in fields(cls)}
    ctx.unknown_keys(keys, data, names)
    values = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        raw = data[f.name]
        expected = getattr(default, f.name)
        value, problem = _coerce(raw, expected)
        if problem is None and checks and f.name in checks:
            problem = checks[f.name](value)
        if problem:
            ctx.error((*keys, f.name), problem)
        else:
            values[f.name] = value
    return cls(**{**default.__dict__, **values})


def _coerce(raw: Any, expected: Any) -> tuple[Any, str | None]:
    if isinstance(expected, bool):
        return (raw, None) if isinstance(raw, bool) else (None, f"must be true or false, not {raw!r}")
    if isinstance(expected, int) and not isinstance(expected, bool):
        return (raw, None) if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else (None, f"must be a whole number ≥ 0, not {raw!r}")
    if isinstance(expected, float):
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        return (float(raw), None) if ok else (None, f"must be a number, not {raw!r}")
    if isinstance(expected, tuple):
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            return None, f"must be a list, not {raw!r}"
        if expected and isinstance(expected[0], tuple) or not expected and raw and isinstance(raw[0], list):
            if not all(isinstance(group, list) and all(isinstance(x, str) for x in group) for group in raw):
                return None, "must be a list of lists of article ids"
            return tuple(tuple(group) for group in raw), None
        if not all(isinstance(x, (str, int, float)) for x in raw):
            return None, "must be a list of text values"
        return tuple(str(x) for x in raw), None
    if isinstance(expected, Mapping):
        if not isinstance(raw, dict):
            return None, f"must be a mapping, not {raw!r}"
        out = {}
        for key, value in raw.items():
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return None, f"'{key}' must be a list of text lines"
            out[str(key)] = tuple(value)
        return out, None
    if expected is None or isinstance(expected, str):
        if raw is None and expected is None:
            return None, None
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            return str(raw), None
        if hasattr(raw, "isoformat"):  # YAML dates and timestamps
            return raw.isoformat(), None
        return None, f"must be text, not {raw!r}"
    return raw, None


def _redirects(data: Any, ctx: _Context) -> tuple[Redirect, ...]:
    """``redirects:`` maps old story slugs to the slugs of the stories now: ``old-slug: new-slug``."""
    if data is None:
        return ()
    if not isinstance(data, dict):
        ctx.error(("redirects",), "must be a mapping of old story slugs to the stories' slugs now",
                  hint="write one line per old address, e.g. 'floods-in-vellora: floods-force-12000-from-their-homes'")
        return ()
    found = []
    for old, to in data.items():
        keys = ("redirects", old)
        bad = [value for value in (old, to) if not isinstance(value, str) or not is_slug(value)]
        if bad:
            value = bad[0]
            wanted = slugify(str(value).rstrip("/").rsplit("/", 1)[-1]) if isinstance(value, (str, int, float)) else None
            ctx.error(keys, f"{value!r} is not a story slug: lowercase letters, digits and hyphens only",
                      hint=f"write {wanted!r}, the last part of the story's address" if wanted else None)
        elif old == to:
            ctx.error(keys, "sends the story to itself", hint="remove the line")
        else:
            found.append(Redirect(old, to, ctx.line(keys)))
    return tuple(found)


def _regex_problems(patterns: tuple[str, ...]) -> str | None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"invalid regular expression {pattern!r}: {exc}"
    return None


def _time_problems(value: str | None) -> str | None:
    from digest.read.dates import parse_capture_time

    if value is not None and parse_capture_time(value) is None:
        return f"must be an ISO 8601 time such as 2025-07-28T18:30:00+08:00, not {value!r}"
    return None


def base_url_problems(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"must be an absolute http(s) URL such as https://user.github.io/repo/, not {url!r}"
    return None


def normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


# libyaml's loader when the installed PyYAML has it (the wheels do): parsing digest.yaml is part of every command's start.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose_and_load(text: str) -> tuple[yaml.Node | None, Any]:
    """The YAML's node tree (for line numbers) and its data, from one parse."""
    loader = YAML_LOADER(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else {})
    finally:
        loader.dispose()


def _line_index(node: yaml.Node | None, prefix: KeyPath = ()) -> dict[KeyPath, int]:
    """Map each key path of the YAML document to its 1-based line, for error messages."""
    index: dict[KeyPath, int] = {}
    if node is None:
        return index
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            keys = (*prefix, key_node.value)
            index[keys] = key_node.start_mark.line + 1
            index.update(_line_index(value_node, keys))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            keys = (*prefix, i)
            index[keys] = item.start_mark.line + 1
            index.update(_line_index(item, keys))
    return index
