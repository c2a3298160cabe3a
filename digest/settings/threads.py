"""``threads:`` in ``digest.yaml``: when stories of several days are one running event. See ``digest/site/threads.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

from digest.settings.documented import documented


@dataclass(frozen=True)
class ThreadsConfig:
    """When stories told on different days are one event (an attack, the death toll, the raid, the inquiry)."""

    enabled: bool = field(default=True, metadata=documented("link the stories of one running event as a thread with a timeline page"))
    threshold: float = field(
        default=0.15,
        metadata=documented("similarity (0..1, of their names and headline and lead words) two stories need to be in one thread; raise it for fewer threads",
                            example=0.25),
    )
    window_days: int = field(default=14, metadata=documented("stories further apart than this are linked only through the stories between them", example=7))
    max_shared: int = field(
        default=50, metadata=documented("a name or word shared by more stories than this proposes no link (too common to tell one event)", example=100)
    )
