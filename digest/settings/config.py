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
from digest.slugs import is_slug, slugify
from digest.taxonomy.model import Section, Taxonomy, build_taxonomy, default_taxonomy

CONFIG_FILE = "digest.yaml"


# ---------------------------------------------------------------- sections


@dataclass(frozen=True)
class SiteConfig:
    title: str = "News digest"
    description: str = "A digest of the news, merged across outlets and grouped by region and theme."
    base_url: str = "https://example.org/"
    language: str = "en"
    author: str = ""
    cname: str = ""  # custom domain for GitHub Pages; written as CNAME when set
    per_page: int = 20  # list pages paginate after this many stories

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

    # Lines of site chrome: the first one ends the lead article; all are dropped.
    chrome_lines: tuple[str, ...] = DEFAULT_CHROME_START
    # The line after which each related article starts (outlet, age, "- outlet", headline, body).
    related_marker: str = "Related Articles"
    # The site pages were captured from, recognised by any of these lines.
    aggregators: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"Daily8": ("Explore what Daily8 AI can do for you:", "Daily8 AI")}
    )
    # Promotions inside a body ("ALSO READ: <headline>"): removed with the promoted headline,
    # which runs until the next sentence starts (see digest/readers/captured.py).
    inline_promos: tuple[str, ...] = (r"ALSO READ:",)
    # The credit that ends a photo caption; the caption (the sentence before it) and the credit
    # are removed from the body, group "credit" is kept as the photo credit.
    photo_captions: tuple[str, ...] = (r"(?<!\S)[—–-]\s*(?!The |A |This |His |Her )(?P<credit>[A-Z][\w&.'’-]*(?: [A-Z][\w&.'’-]*){0,2}) (?:[Ff]ile )?(?:photo|pic|picture|image)s?\b\.?",)
    # Bylines at the start of a body; group "author" (title words such as "Prime Minister" that
    # run on from a one-line body are trimmed off the name).
    bylines: tuple[str, ...] = (r"^By\s+(?P<author>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})(?:\s*$|[\s,|]+)",)
    # Credits at the end of a body; group "credit".
    credits: tuple[str, ...] = (r"\s[-–—]\s*(?P<credit>AP|AFP|Reuters|Bernama|PTI|ANI|IANS|Xinhua)\s*$", r"\((?P<credit>[A-Z][\w ]{1,40}? Service|IPA|PTI|IANS|ANI|Bernama)\)\s*$")
    # Datelines at the start of a body; group "place", optional group "date" ("July 28").
    datelines: tuple[str, ...] = (
        r"^(?P<place>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3})\s*(?:\((?P<date>[^)]{3,30})\))?\s*:\s+",
        r"^(?P<place>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3}),\s*(?P<date>[A-Z][a-z]+\.? \d{1,2}(?:,? \d{4})?)\s*(?:\([^)]{2,30}\))?\s*[-–—]\s+",
    )
    # The age line under a related article's outlet; groups "n" (a number, "a", "an") and "unit".
    relative_ages: tuple[str, ...] = (r"^(?P<n>\d+|an?|one)\s+(?P<unit>second|sec|minute|min|hour|hr|day|week)s?\s+ago$",)
    # A last "sentence" of at most this many words with no full stop is a tag list left over
    # from the page ("GRS-PH lead Salleh Said Keruak") and is dropped; 0 keeps it.
    trailing_tag_words: int = 8
    # A capture time for pages that carry none (ISO 8601); relative ages resolve against it.
    capture_time: str | None = None


@dataclass(frozen=True)
class MergeConfig:
    """When two articles are one story. See ``digest/merge.py``."""

    threshold: float = 0.28  # combined evidence score needed to merge (weights below; each evidence is 0..1)
    window_days: int = 3  # articles with exact dates further apart than this are never merged
    text_weight: float = 0.6  # shared wording: share of the shorter article's word 3-shingles the other has
    words_weight: float = 0.25  # TF-IDF cosine of the content words: the same event written differently
    names_weight: float = 0.15  # shared people, organisations and places, rarer names counting more
    max_shared: int = 50  # shingles and names shared by more articles than this do not propose pairs
    neighbours: int = 8  # within one shared key, each article is paired with this many nearest in time
    together: tuple[tuple[str, ...], ...] = ()  # article ids forced into one story
    apart: tuple[tuple[str, ...], ...] = ()  # article ids forced into separate stories


@dataclass(frozen=True)
class Redirect:
    """An old story address kept working: ``stories/<old>/`` sends readers on to the story at ``stories/<to>/``."""

    old: str
    to: str
    line: int | None = None  # in digest.yaml


@dataclass(frozen=True)
class Config:
    root: Path  # the folder holding digest.yaml; relative paths are resolved against it
    site: SiteConfig = SiteConfig()
    capture: CaptureConfig = CaptureConfig()
    merge: MergeConfig = MergeConfig()
    taxonomy: Taxonomy = field(default_factory=default_taxonomy, repr=False)  # see digest/taxonomy.py
    sections: tuple[Section, ...] = ()  # in order: the first that matches takes a story
    redirects: tuple[Redirect, ...] = ()  # old story addresses that keep working (see digest/redirects.py)
    content_dir: Path = Path("content")
    output_dir: Path = Path("output")
    templates_dir: Path = Path("templates")
    source_file: Path | None = None
    warnings: tuple[Diagnostic, ...] = ()
    # Where output_dir was set, for messages about it: "--output", "digest.yaml:3: output_dir" or the default.
    output_setting: str = field(default="output_dir (default: output)", repr=False, compare=False)

    def with_overrides(self, *, output_dir: Path | None = None, base_url: str | None = None) -> "Config":
        from dataclasses import replace

        cfg = self
        if output_dir is not None:
            cfg = replace(cfg, output_dir=output_dir.resolve(), output_setting=f"--output {output_dir}")
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
        output_setting=f"{display}:{ctx.line(('output_dir',))}: output_dir: {data['output_dir']}" if "output_dir" in data else Config.output_setting,
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
