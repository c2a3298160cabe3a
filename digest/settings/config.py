"""``digest.yaml``: loaded once into a typed, validated, frozen ``Config``.

Every problem is collected and reported together (``ConfigError``) with its line;
unknown keys are warnings, so a typo never silently does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from digest.characters import describe_removed
from digest.errors import ConfigError, DigestError
from digest.models import Diagnostic
from digest.settings.documented import NOT_A_SETTING, documented
from digest.settings.patterns import PATTERN_SETTINGS, pattern_problems
from digest.settings.problems import Problems
from digest.settings.threads import ThreadsConfig
from digest.settings.values import base_url_problems, coerce, normalise_base_url, section_from, time_problems
from digest.settings.yaml_safe import YamlProblem, load_yaml
from digest.slugs import is_slug, slugify
from digest.taxonomy.build import build_taxonomy, default_taxonomy
from digest.taxonomy.model import Section, Taxonomy

CONFIG_FILE = "digest.yaml"


# ---------------------------------------------------------------- sections


@dataclass(frozen=True)
class SiteConfig:
    title: str = field(default="News digest", metadata=documented("the site's name: page titles, the header, the feeds", example="Regional News Digest"))
    description: str = field(
        default="A digest of the news, merged across outlets and grouped by region and theme.",
        metadata=documented(
            "one sentence on what the digest covers: on the front page, the about page and every page's footer; the feeds' subtitle",
            example="South Asia security, trade and Malaysian politics, merged across outlets.",
        ),
    )
    base_url: str = field(
        default="https://example.org/",
        metadata=documented(
            "the public address (feeds, sitemap, canonical links; its path is the sub-path the site is served under); `--base-url` overrides it. "
            "Unset or at example.org, `digest build` and `digest check` warn that those point to a placeholder",
            example="https://alice.github.io/news-digest/",
        ),
    )
    language: str = field(default="en", metadata=documented("the language of the pages (`<html lang>`) and the feeds"))
    author: str = field(
        default="", metadata=documented("the feeds' author and the stories' publisher (JSON-LD); the title when empty", example="The Digest Desk")
    )
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

    chrome_lines: tuple[str, ...] = field(
        default=DEFAULT_CHROME_START,
        metadata=documented(
            "exact lines of site chrome: the first one ends the lead article; all are dropped",
            example=("Share this story", "Newsletter", "Sign up to SeaNews Daily", "More from SeaNews"),
        ),
    )
    related_marker: str = field(
        default="Related Articles",
        metadata=documented("the line after which the related articles follow (each: outlet, age, `- outlet`, headline, body)", example="More from SeaNews"),
    )
    aggregators: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"Daily8": ("Explore what Daily8 AI can do for you:", "Daily8 AI")},
        metadata=documented("the site pages were captured from, by name, recognised by any of its lines", example={"SeaNews": ("SeaNews Daily",)}),
    )
    inline_promos: tuple[str, ...] = field(
        default=(r"ALSO READ:", r"(?:Read more|READ MORE|Read More|See also|SEE ALSO|Also read):"),
        metadata=documented(
            "the start of a promotion inside a body; removed with the headline it promotes (which runs until the next sentence starts)",
            example=("SEE ALSO >>",),
        ),
    )
    photo_captions: tuple[str, ...] = field(
        default=(
            r"(?<!\S)[—–-]\s*(?!The |A |This |His |Her )(?P<credit>[A-Z][\w&.'’-]*(?: [A-Z][\w&.'’-]*){0,2}) (?:[Ff]ile )?(?:photo|pic|picture|image)s?\b\.?",
        ),
        metadata=documented(
            "the credit that ends a photo caption; the caption (the sentence before it) and the credit leave the body, "
            "group `credit` is kept as the photo credit",
            example=(r"\((?P<credit>[A-Z]\w+)/SeaNews photo\)",),
        ),
    )
    bylines: tuple[str, ...] = field(
        default=(r"^By\s+(?P<author>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})(?:\s*$|[\s,|]+)",),
        metadata=documented(
            "a byline at the start of a body; group `author` (title words such as `Prime Minister` that run on from a one-line body are trimmed off the name)",
            example=(r"^Words by (?P<author>[A-Z]\w+ [A-Z]\w+)$",),
        ),
    )
    credits: tuple[str, ...] = field(
        default=(
            r"\s[-–—]\s*(?P<credit>AP|AFP|Reuters|Bernama|PTI|ANI|IANS|Xinhua)\s*$",
            r"\((?P<credit>[A-Z][\w ]{1,40}? Service|IPA|PTI|IANS|ANI|Bernama)\)\s*$",
        ),
        metadata=documented("a credit at the end of a body; group `credit`", example=(r"\((?P<credit>Lusa)\)$",)),
    )
    datelines: tuple[str, ...] = field(
        default=(
            r"^(?P<place>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3})\s*(?:\((?P<date>[^)]{3,30})\))?\s*:\s+",
            r"^(?P<place>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3}),\s*(?P<date>[A-Z][a-z]+\.? \d{1,2}(?:,? \d{4})?)\s*(?:\([^)]{2,30}\))?\s*[-–—]\s+",
        ),
        metadata=documented(
            "a dateline at the start of a body; group `place`, optional group `date` (`July 28`)",
            example=(r"^(?P<place>[A-Z][a-z]+) \((?P<date>[A-Z][a-z]+ \d{1,2})\) -- ",),
        ),
    )
    relative_ages: tuple[str, ...] = field(
        default=(r"^(?P<n>\d+|an?|one)\s+(?P<unit>second|sec|minute|min|hour|hr|day|week)s?\s+ago$",),
        metadata=documented(
            "the age line under a related article's outlet; groups `n` (a number, `a`, `an`) and `unit`", example=(r"^(?P<n>\d+) (?P<unit>hr)s? ago$",)
        ),
    )
    trailing_tag_words: int = field(
        default=8,
        metadata=documented(
            "a last run of at most this many words with no full stop is a tag list left from the page "
            "(`GRS-PH lead Salleh Said Keruak`) and is dropped; 0 keeps it",
            example=0,
        ),
    )
    capture_time: str | None = field(
        default=None,
        metadata=documented(
            "when pages whose header gives no `captured:` were saved (ISO 8601); relative ages resolve against it", example="2025-07-28T18:30:00+08:00"
        ),
    )


@dataclass(frozen=True)
class MergeConfig:
    """When two articles are one story. See ``digest/stories/merge.py``."""

    threshold: float = field(
        default=0.28, metadata=documented("combined evidence needed to merge (the weights below; each evidence is 0..1); raise it to merge less", example=0.35)
    )
    window_days: int = field(default=3, metadata=documented("articles with exact dates further apart than this are never merged", example=2))
    text_weight: float = field(default=0.6, metadata=documented("weight of shared wording: the share of the shorter article's word 3-shingles the other has"))
    words_weight: float = field(
        default=0.25, metadata=documented("weight of similar vocabulary: TF-IDF cosine of the content words (the same event written differently)")
    )
    names_weight: float = field(default=0.15, metadata=documented("weight of shared people, organisations and places, rarer names counting more"))
    max_shared: int = field(default=50, metadata=documented("shingles and names shared by more articles than this propose no pairs"))
    neighbours: int = field(default=8, metadata=documented("within one shared key, each article is paired with this many nearest in time"))
    together: tuple[tuple[str, ...], ...] = field(
        default=(),
        metadata=documented(
            "lists of article ids that are one story (`digest list --articles` shows the ids)", example=(("002_ea217e3b9676bec5#3", "002_ea217e3b9676bec5#1"),)
        ),
    )
    apart: tuple[tuple[str, ...], ...] = field(
        default=(),
        metadata=documented(
            "lists of article ids that are never in one story, not even through a third version", example=(("000_c15c41152a26c795", "002_ea217e3b9676bec5"),)
        ),
    )


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
    capture: CaptureConfig = field(
        default=CaptureConfig(),
        metadata=documented("how captured pages (`.txt`) are taken apart; the defaults read Daily8 pages, and setting a key replaces its default list"),
    )
    merge: MergeConfig = field(default=MergeConfig(), metadata=documented("when two articles are one story"))
    threads: ThreadsConfig = field(default=ThreadsConfig(), metadata=documented("when stories of several days are one running event, linked as a thread"))
    taxonomy: Taxonomy = field(
        default_factory=default_taxonomy,
        repr=False,
        metadata=documented("what stories are filed under: regions, places, themes, known entities, and how much a mention counts"),
    )
    sections: tuple[Section, ...] = field(
        default=(),
        metadata=documented(
            'the front page\'s sections, in order: the first whose filters all match a story takes it; the rest are under "Other news"',
            example=({"name": "South Asia security", "region": "South Asia", "theme": "security"}, {"name": "Trade", "theme": "trade"}),
        ),
    )
    redirects: tuple[Redirect, ...] = field(
        default=(),
        metadata=documented(
            "old story slug: the story's slug now, one line per moved story; `stories/<old>/` then sends readers on to it",
            example={"pakistan-urges-platforms": "pakistan-urges-global-social-media-platforms-to-block-accounts-run"},
        ),
    )
    content_dir: Path = field(default=Path("content"), metadata=documented("the documents' folder, relative to digest.yaml"))
    output_dir: Path = field(default=Path("output"), metadata=documented("where `digest build` writes the site, relative to digest.yaml"))
    templates_dir: Path = field(default=Path("templates"), metadata=documented("the site's own templates, searched before the default theme's, file by file"))
    source_file: Path | None = field(default=None, metadata=NOT_A_SETTING)
    max_document_mb: float = field(
        default=5.0, metadata=documented("a larger document is skipped with a warning (a 50 MB page is a mistake, and would take a minute to read)", example=5)
    )
    warnings: tuple[Diagnostic, ...] = field(default=(), metadata=NOT_A_SETTING)
    # Where output_dir was set, for messages about it: "--output", "digest.yaml:3: output_dir" or the default.
    output_setting: str = field(default="output_dir (default: output)", repr=False, compare=False, metadata=NOT_A_SETTING)
    base_url_line: int | None = field(default=None, repr=False, compare=False, metadata=NOT_A_SETTING)  # for its warning

    def with_overrides(self, *, output_dir: Path | None = None, base_url: str | None = None) -> Config:
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
    known = {"site", "capture", "merge", "threads", "taxonomy", "sections", "redirects", "content_dir", "output_dir", "templates_dir", "max_document_mb"}
    problems.unknown_keys((), data, known)
    site = section_from(SiteConfig, data.get("site"), ("site",), problems, checks={"base_url": base_url_problems})
    if not problems.problems_at(("site", "base_url")):
        site = SiteConfig(**{**site.__dict__, "base_url": normalise_base_url(site.base_url)})
    capture = section_from(
        CaptureConfig,
        data.get("capture"),
        ("capture",),
        problems,
        checks={name: partial(pattern_problems, name) for name in PATTERN_SETTINGS} | {"capture_time": time_problems},
    )
    merge = section_from(MergeConfig, data.get("merge"), ("merge",), problems)
    threads = section_from(ThreadsConfig, data.get("threads"), ("threads",), problems)
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
        root=root,
        site=site,
        capture=capture,
        merge=merge,
        threads=threads,
        taxonomy=taxonomy,
        sections=tuple(sections),
        redirects=redirects,
        source_file=path,
        base_url_line=document.lines.get(("site", "base_url")),
        warnings=tuple(problems.warnings),
        max_document_mb=max_document_mb,
        **dirs,
        output_setting=f"{display}:{problems.line(('output_dir',))}: output_dir: {data['output_dir']}" if "output_dir" in data else Config.output_setting,
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
        problems.error(
            ("redirects",),
            "must be a mapping of old story slugs to the stories' slugs now",
            hint="write one line per old address, e.g. 'floods-in-vellora: floods-force-12000-from-their-homes'",
        )
        return ()
    found = []
    for old, to in data.items():
        keys = ("redirects", old)
        bad = [value for value in (old, to) if not isinstance(value, str) or not is_slug(value)]
        if bad:
            value = bad[0]
            wanted = slugify(str(value).rstrip("/").rsplit("/", 1)[-1]) if isinstance(value, (str, int, float)) else None
            problems.error(
                keys,
                f"{value!r} is not a story slug: lowercase letters, digits and hyphens only",
                hint=f"write {wanted!r}, the last part of the story's address" if wanted else None,
            )
        elif old == to:
            problems.error(keys, "sends the story to itself", hint="remove the line")
        else:
            found.append(Redirect(old, to, problems.line(keys)))
    return tuple(found)
