"""``digest.yaml``: loaded once into a typed, validated, frozen ``Config``.

Every problem is collected and reported together (``ConfigError``) with its line;
unknown keys are warnings, so a typo never silently does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from digest.characters import describe_removed
from digest.errors import ConfigError, DigestError
from digest.models import Diagnostic
from digest.settings.patterns import PATTERN_SETTINGS, pattern_problems
from digest.settings.problems import Problems
from digest.settings.values import base_url_problems, coerce, normalise_base_url, section_from, time_problems
from digest.settings.yaml_safe import YamlProblem, load_yaml
from digest.slugs import is_slug, slugify
from digest.taxonomy.build import build_taxonomy, default_taxonomy
from digest.taxonomy.model import Section, Taxonomy

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
    max_document_mb: float = 5.0  # a larger document is skipped with a warning (a 50 MB page is a mistake)
    warnings: tuple[Diagnostic, ...] = ()

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
    if not path.is_file():  # a FIFO or a device would block or never end
        raise ConfigError([DigestError("the configuration is not a regular file", str(path), hint=f"point --config at a {CONFIG_FILE} file")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([DigestError(f"cannot read the configuration: {exc}", str(path))]) from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    display = str(path)
    try:
        document = load_yaml(text)
    except YamlProblem as problem:
        raise ConfigError([DigestError(f"invalid YAML: {problem.message}", display, problem.line, hint=problem.hint)]) from problem
    data = {} if document.data is None else document.data
    problems = Problems(display, document.lines)
    for line, removed in document.removed:
        problems.warnings.append(Diagnostic(display, line, f"removed {describe_removed(list(removed))}"))
    if not isinstance(data, dict):
        problems.error((), "the file must be a mapping of settings (key: value)")
        problems.raise_if_any()

    root = path.resolve().parent
    known = {"site", "capture", "merge", "taxonomy", "sections", "redirects", "content_dir", "output_dir", "templates_dir", "max_document_mb"}
    problems.unknown_keys((), data, known)
    site = section_from(SiteConfig, data.get("site"), ("site",), problems, checks={"base_url": base_url_problems})
    if not problems.problems_at(("site", "base_url")):
        site = SiteConfig(**{**site.__dict__, "base_url": normalise_base_url(site.base_url)})
    capture = section_from(CaptureConfig, data.get("capture"), ("capture",), problems, checks={
        name: partial(pattern_problems, name) for name in PATTERN_SETTINGS
    } | {"capture_time": time_problems})
    merge = section_from(MergeConfig, data.get("merge"), ("merge",), problems)
    taxonomy, sections = build_taxonomy(data.get("taxonomy"), data.get("sections"), problems)
    redirects = _redirects(data.get("redirects"), problems)
    dirs = {}
    for key in ("content_dir", "output_dir", "templates_dir"):
        value = data.get(key, key.removesuffix("_dir") if key != "templates_dir" else "templates")
        if not isinstance(value, str) or not value.strip():
            problems.error((key,), "must be a folder path (text)")
            value = key.removesuffix("_dir")
        dirs[key] = Path(value)
    max_document_mb = _max_document_mb(data.get("max_document_mb", Config.max_document_mb), problems)

    problems.raise_if_any()
    config = Config(
        root=root, site=site, capture=capture, merge=merge, taxonomy=taxonomy, sections=tuple(sections),
        redirects=redirects, source_file=path, warnings=tuple(problems.warnings), max_document_mb=max_document_mb, **dirs,
    )
    return _resolve_paths(config, root)


def _max_document_mb(value: Any, problems: Problems) -> float:
    number, problem = coerce(value, Config.max_document_mb)
    if problem is None and number == 0:
        problem = "must be more than 0"
    if problem:
        problems.error(("max_document_mb",), problem, hint="the size in megabytes above which a document is skipped, e.g. 5")
        return Config.max_document_mb
    return number


def _resolve_paths(config: Config, root: Path) -> Config:
    from dataclasses import replace

    return replace(
        config,
        content_dir=(root / config.content_dir).resolve(),
        output_dir=(root / config.output_dir).resolve(),
        templates_dir=(root / config.templates_dir).resolve(),
    )


# ---------------------------------------------------------------- redirects


def _redirects(data: Any, problems: Problems) -> tuple[Redirect, ...]:
    """``redirects:`` maps old story slugs to the slugs of the stories now: ``old-slug: new-slug``."""
    if data is None:
        return ()
    if not isinstance(data, dict):
        problems.error(("redirects",), "must be a mapping of old story slugs to the stories' slugs now",
                  hint="write one line per old address, e.g. 'floods-in-vellora: floods-force-12000-from-their-homes'")
        return ()
    found = []
    for old, to in data.items():
        keys = ("redirects", old)
        bad = [value for value in (old, to) if not isinstance(value, str) or not is_slug(value)]
        if bad:
            value = bad[0]
            wanted = slugify(str(value).rstrip("/").rsplit("/", 1)[-1]) if isinstance(value, (str, int, float)) else None
            problems.error(keys, f"{value!r} is not a story slug: lowercase letters, digits and hyphens only",
                      hint=f"write {wanted!r}, the last part of the story's address" if wanted else None)
        elif old == to:
            problems.error(keys, "sends the story to itself", hint="remove the line")
        else:
            found.append(Redirect(old, to, problems.line(keys)))
    return tuple(found)
