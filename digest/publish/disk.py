"""``output/`` as the place a build is published: the sink of ``digest build`` (see ``digest.pipeline.build``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digest.pipeline.cache import ParseCache
from digest.publish.safety import check_output_folder
from digest.publish.write import Publication
from digest.settings.config import Config


@dataclass(frozen=True)
class OutputFolder:
    path: Path
    search: bool = True  # index the site for search (Pagefind) once it is written

    unchanged: str = "nothing was written"

    @classmethod
    def for_config(cls, config: Config, search: bool = True) -> OutputFolder:
        """The settings' output folder, once it is known to be digest's to replace (see ``digest.publish.safety``)."""
        check_output_folder(config)
        return cls(config.output_dir, search)

    def publication(self, cache: ParseCache) -> Publication:
        """Pages written into the staged site as they come, indexed for search there and switched in at the end."""
        return Publication(self.path, cache, search=self.search)
