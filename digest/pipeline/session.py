"""What one site's builds keep between runs, held by whoever runs them.

``digest build`` starts from the session the last build left in ``output/.digest-cache/`` (and leaves one for
the next); ``digest serve`` starts from it too and keeps it in memory for as long as it runs. On disk it is the
parse cache, the classify memo and the re-merger's tables (see ``ParseCache.session``), and, with the gather memo,
each story's facts for finding threads; the related-stories memo is made again from the gather memo's stories, and
the rest of the graph and render memos live only in memory (worked out again, they cost what reading them would).
Nothing a stage keeps lives in a module: a stage is handed what it may reuse and hands back what the next run may
reuse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from digest.models import ClassifiedStory
from digest.pipeline.cache import ParseCache
from digest.settings.config import Config

if TYPE_CHECKING:
    from digest.classify.related import RelatedMemo
    from digest.render.pages import ThemeCache
    from digest.site.memo import GraphMemo
    from digest.stories.remerge import Remerger

RenderMemo = dict[str, tuple[str, bytes]]  # page path -> (render key, bytes)


@dataclass(eq=False)
class BuildSession:
    """State kept from one run to the next. Each field is only an optimisation: an empty session builds the
    same site, just slower."""

    cache: ParseCache = field(default_factory=ParseCache)  # parse results, the last gather, classifications, pages written
    remerger: Remerger | None = None  # merges again only what changed since its last call
    config: Config | None = None  # the settings of the last run: the render memo holds for them only
    render_memo: RenderMemo = field(default_factory=dict)
    # What the classify, graph and render stages keep for the next run in this process (made on first use):
    related: RelatedMemo = field(default_factory=dict)  # the last stories with their related stories, by object
    graph: GraphMemo | None = None  # the last site graph's pages and feeds
    themes: ThemeCache | None = None  # the last theme compiled

    @classmethod
    def from_output(cls, output_dir: Path) -> BuildSession:
        """The session the last ``digest build`` into ``output_dir`` left there (each part read when first needed)."""
        return cls(ParseCache.load(output_dir))

    def begin(self, config: Config) -> None:
        """Start a run with these settings: pages rendered under other settings are not reused."""
        if config != self.config:
            self.render_memo = {}
            self.config = config

    def merger(self) -> Remerger:
        """The re-merger: the one the last build kept (read when first needed: a build with nothing changed does
        not merge), or a fresh one, whose first merge is in full and kept for the next."""
        from digest.stories.remerge import Remerger

        if self.remerger is None:
            kept = self.cache.session.get("remerger")
            self.remerger = kept if isinstance(kept, Remerger) else Remerger()
        return self.remerger

    def graph_memo(self, stories: Iterable[ClassifiedStory]) -> GraphMemo:
        """The site graph's memo: the last run's in this process, or the one the last build kept on disk, resolved
        to this run's ``stories`` (after an edit, ~0.5 CPU-s of a graph at 10,000 articles is pages made again
        and hashed; reading the memo ~0.2), with the thread facts it kept beside the gather memo."""
        if self.graph is None:
            from digest.site.memo import GraphMemo

            self.graph = GraphMemo(self.cache.kept_threads())
            path = self.cache.graph_file()
            try:
                if path is not None:
                    with open(path, "rb") as file:
                        self.graph.restore(file, stories)
            except Exception:  # noqa: BLE001 - missing, truncated, or from other code: the graph is made afresh
                self.graph = GraphMemo(self.cache.kept_threads())
        return self.graph

    def site_stamp(self, config: Config, today: dt.date) -> str | None:
        """A hash of everything the site this run publishes is made from: what it gathered (documents, settings,
        digest's code: see ``gather_key``), the theme and the day of the build, ``today`` (the about page shows it). None when
        not known (what was gathered is not kept). The same stamp, the same site, byte for byte."""
        key = self.cache.gathered_key()
        if key is None:
            return None
        from digest.render.pages import theme_dirs, theme_key

        return hashlib.sha256(f"{key}\x00{theme_key(theme_dirs(config))}\x00{today.isoformat()}".encode()).hexdigest()[:32]

    def keep(self) -> None:
        """Hand the re-merger (when this run merged) and the thread facts to the cache, to be written with the site."""
        if self.remerger is not None and self.cache.gathered_changed:
            self.cache.keep(remerger=self.remerger)
        if self.graph is not None:
            self.cache.keep_threads(self.graph.threads.terms)
            self.cache.keep_graph(self.graph.dump)
