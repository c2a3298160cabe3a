"""The gather memo's key as kept: what was gathered, and what else its dates hold on.

``gather_key`` hashes the documents' paths and bytes. A gather whose dates depend on more keeps that
beside the hash, so that the memo is reused only when it is unchanged too:
``hash@first/end`` (the build days it holds on: a weekday-only dateline, see ``digest.read.dates``),
then ``\\0`` and a JSON list of [path, mtime] for each document dated by its file's modification time
(``ParsedDocument.file_time``: an undated note, a page with neither a capture time nor datelines).
Kept in the key, the memo's layout stays, and the site's stamp (made from the key) follows it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping

from digest.fingerprints import pipeline_fingerprint
from digest.read.dates import DaySpan, holds_on, span_of, span_text
from digest.settings.config import Config

DAYS_MARK = "@"
FILE_MARK = "\0"  # never in a path
FileTimes = Mapping[str, float]  # path -> the modification time its dates were worked out from


def gather_key(config: Config, documents: list[tuple[str, str]]) -> str:
    """What parse, merge and classify depend on: the documents, the settings, the code."""
    digest = hashlib.sha256(pipeline_fingerprint().encode())
    try:
        settings = config.source_file.read_bytes() if config.source_file else b"(defaults)"
    except OSError:
        settings = b"(unreadable)"
    digest.update(settings + b"\x00" + repr(config).encode())
    for path, sha in documents:
        digest.update(f"{path}\x00{sha}\x00".encode("utf-8", "surrogateescape"))  # a file name need not be UTF-8
    return digest.hexdigest()


def kept_key(key: str, build_days: DaySpan | None, file_times: FileTimes) -> str:
    """``key`` with the days and the file times its gather holds on."""
    days = f"{DAYS_MARK}{span_text(build_days)}" if build_days else ""
    files = f"{FILE_MARK}{json.dumps(sorted(file_times.items()))}" if file_times else ""  # ASCII: odd names escaped
    return key + days + files


def key_holds(kept: str, key: str, today: dt.date, file_times: Callable[[], FileTimes]) -> bool:
    """Whether a memo kept under ``kept`` is what gathering gives for ``key`` on ``today`` with the files at
    ``file_times()`` (path -> modification time; asked for only when the memo depends on one)."""
    head, _, files = kept.partition(FILE_MARK)
    kept_hash, _, days = head.partition(DAYS_MARK)
    if kept_hash != key or not holds_on(span_of(days), today):
        return False
    if not files:
        return True
    now = file_times()
    return all(now.get(path) == mtime for path, mtime in json.loads(files))
