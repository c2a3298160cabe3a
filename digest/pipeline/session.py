"""What one site's builds keep between runs, held by whoever runs them.

``digest build`` starts from the session the last build left in ``output/.digest-cache/`` (and leaves one for
the next); ``digest serve`` starts from it too and keeps it in memory for as long as it runs. The parts kept
on disk are pickled together (see ``ParseCache.session``): the stages recognise what did not change by
identity (a story kept by the re-merger is the very object the classify and graph memos hold), and one pickle
keeps objects shared between its parts shared when it is loaded. Nothing a stage keeps lives in a module:
a stage is handed what it may reuse and hands back what the next run may reuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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
        """The session the last ``digest build`` into ``output_dir`` left there (read when the run begins)."""
        return cls(ParseCache.load(output_dir))

    def begin(self, config: Config) -> None:
        """Start a run with these settings: pages rendered under other settings are not reused. The first run
        takes the memos the cache kept (when there are none, a fresh re-merger: the next run needs its tables)."""
        if self.remerger is None:
            self._resume()
        if config != self.config:
            self.render_memo = {}
            self.config = config

    def _resume(self) -> None:
        from digest.site.memo import GraphMemo
        from digest.stories.remerge import Remerger

        kept = self.cache.session
        remerger, graph, related = kept.get("remerger"), kept.get("graph"), kept.get("related")
        self.remerger = remerger if isinstance(remerger, Remerger) else Remerger()
        if isinstance(graph, GraphMemo) and isinstance(related, tuple):
            self.graph = graph
            # The related memo is keyed by object ids, which loading changes: keyed afresh.
            self.related = {(id(item.story), id(item.classification)): item for item in related}

    def keep(self) -> None:
        """Hand the later stages' memos to the cache, to be written with the site, when this run changed them
        (a run that reused the last gather left them as they were)."""
        if self.cache.session_changed or "graph" not in self.cache.session:
            self.cache.keep(remerger=self.remerger, related=tuple(self.related.values()), graph=self.graph)
