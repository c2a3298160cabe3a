"""The development set's corpus: the BBC News articles, read from wherever they are, made into digest content.

The corpus (D. Greene and P. Cunningham, "Practical Solutions to the Problem of Diagonal Dominance in Kernel
Document Clustering", ICML 2006: 2,225 BBC News articles of 2004-2005 in five topics) is not in this repository.
Get it with

    git clone https://github.com/dejanbatanjac/bbc-article-classify-bert

and give the clone (or its ``bbc/`` folder, or a bare git directory of it) to ``bench/devset.py``. Each article is
``bbc/<topic>/<nnn>.txt``: the first line is the headline, the rest the body, one paragraph per line.

``make_content`` writes each article as digest content the way other sites would hand it over: a third as
Markdown notes, the rest as captured pages of three made-up sites, each with its own chrome around the article
and ``Read more: <another headline>`` promotions inside it, one site saving its pages in cp1252. Which article
gets which form, outlet and date is a hash of its id, so the content is the same at every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

TOPICS = ("business", "entertainment", "politics", "sport", "tech")

# Each made-up site: its outlet name, how it saves pages, and the chrome around an article.
SITES = (
    {"outlet": "Northern Courier", "encoding": "utf-8", "chrome": ("Share this article", "Copy link", "Related Topics", "More on this story")},
    {"outlet": "Daily Ledger", "encoding": "cp1252", "chrome": ("Advertisement", "Sign up to our newsletter", "Most Read", "Follow us")},
    {"outlet": "Wire Report", "encoding": "utf-8", "chrome": ("Share", "Comments", "You may also like", "Top Stories")},
)
NOTE_OUTLETS = ("Evening Post", "Metro Review", "The Observer Desk")
FIRST_DAY = dt.date(2004, 3, 1)
DAYS = 540  # the corpus spans 2004-2005


@dataclass(frozen=True)
class CorpusArticle:
    id: str  # "<topic>/<nnn>", as the corpus names it
    topic: str
    headline: str
    paragraphs: tuple[str, ...]


def read_corpus(source: Path) -> list[CorpusArticle]:
    """Every article of the corpus at ``source``: a clone, its ``bbc/`` folder or a bare git directory."""
    source = Path(source)
    if (source / "HEAD").is_file() and (source / "objects").is_dir():
        return _from_git(source)
    if (source / ".git").exists():
        return _from_git(source / ".git")
    folder = source / "bbc" if (source / "bbc").is_dir() else source
    found = []
    for topic in TOPICS:
        for path in sorted((folder / topic).glob("*.txt")):
            found.append(_article(f"{topic}/{path.stem}", path.read_bytes()))
    if not found:
        raise SystemExit(f"{source}: no BBC corpus here (expected bbc/<topic>/<nnn>.txt); see bench/devset_corpus.py for how to get it")
    return found


def _from_git(git_dir: Path) -> list[CorpusArticle]:
    listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", "HEAD", "bbc/"],
                             capture_output=True, text=True, check=True).stdout.split()
    names = [name for name in listing if name.count("/") == 2 and name.endswith(".txt") and name.split("/")[1] in TOPICS]
    # One `git cat-file --batch` for all 2,225 files instead of a process each.
    request = "".join(f"HEAD:{name}\n" for name in names).encode()
    out = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "--batch"], input=request, capture_output=True, check=True).stdout
    found, position = [], 0
    for name in names:
        header_end = out.index(b"\n", position)
        size = int(out[position:header_end].split()[2])
        data = out[header_end + 1:header_end + 1 + size]
        position = header_end + 1 + size + 1
        topic, stem = name.split("/")[1], name.rsplit("/", 1)[1][:-4]
        found.append(_article(f"{topic}/{stem}", data))
    return found


def _article(article_id: str, data: bytes) -> CorpusArticle:
    text = data.decode("utf-8", errors="replace") if _is_utf8(data) else data.decode("latin-1")
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    return CorpusArticle(article_id, article_id.split("/")[0], lines[0], tuple(lines[1:]))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def number(article_id: str, salt: str = "") -> int:
    """A stable pseudo-random number for an article: its form, outlet, date and split depend on nothing else."""
    return int.from_bytes(hashlib.sha256(f"{salt}{article_id}".encode()).digest()[:8], "big")


def file_stem(article_id: str) -> str:
    """The content file's name: nothing of the topic in it, so nothing but the text tells the classifier."""
    return "a" + hashlib.sha256(article_id.encode()).hexdigest()[:12]


def publication_day(article_id: str, event: str | None) -> dt.date:
    """Reports of one event share a day, give or take one; the others are spread over the corpus's time."""
    if event:
        return FIRST_DAY + dt.timedelta(days=number(event, "day") % DAYS + number(article_id, "lag") % 2)
    return FIRST_DAY + dt.timedelta(days=number(article_id, "day") % DAYS)


def make_content(articles: Iterable[CorpusArticle], events: Mapping[str, str], content: Path, dated: bool = True) -> dict[str, str]:
    """Write every article into ``content`` (one file each); returns article id -> the digest article id.

    The corpus has no dates: each article gets one (``publication_day``), reports of one event a day or two
    apart. With ``dated=False`` nothing is dated, so only the text keeps stories apart."""
    articles = list(articles)
    content.mkdir(parents=True, exist_ok=True)
    headlines = [a.headline for a in articles]
    ids = {}
    for article in articles:
        stem = file_stem(article.id)
        day = publication_day(article.id, events.get(article.id)) if dated else None
        form = number(article.id, "form") % 3
        if form == 0:
            outlet = NOTE_OUTLETS[number(article.id, "outlet") % len(NOTE_OUTLETS)]
            (content / f"{stem}.md").write_text(_note(article, outlet, day), encoding="utf-8")
        else:
            site = SITES[number(article.id, "site") % len(SITES)]
            promoted = headlines[number(article.id, "promo") % len(headlines)]
            text = _page(article, site, day, promoted)
            (content / f"{stem}.txt").write_bytes(text.encode(site["encoding"], errors="replace"))
        ids[article.id] = stem
    return ids


def _note(article: CorpusArticle, outlet: str, day: dt.date | None) -> str:
    title = article.headline.replace("'", "''")
    date = f"date: {day.isoformat()}\n" if day else ""
    return f"---\ntitle: '{title}'\n{date}outlet: {outlet}\n---\n" + "\n\n".join(article.paragraphs) + "\n"


def _page(article: CorpusArticle, site: Mapping, day: dt.date | None, promoted: str) -> str:
    paragraphs = list(article.paragraphs)
    if len(paragraphs) > 3 and number(article.id, "has-promo") % 2 == 0:
        paragraphs.insert(2, f"Read more: {promoted}")  # another story's headline, inside this one
    captured = f"captured: {day.isoformat()}T18:00:00+00:00\n" if day else ""
    header = f"---\n{captured}outlet: {site['outlet']}\n---\n"
    return header + article.headline + "\n" + "\n".join(paragraphs) + "\n" + "\n".join(site["chrome"]) + "\n"
