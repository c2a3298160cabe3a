"""The front page's hierarchy: a lead story, a few secondary ones, then each section's other stories.

Like a newspaper's front page, the lead is the story most outlets covered among the newest ones
(coverage, not only recency, says what mattered), preferring exact dates to approximate ones. A story
shown at the top is not repeated in its section's list below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, islice

from digest.models import ClassifiedStory
from digest.site.model import Group
from digest.site.stories import story_dates
from digest.wording import source_name

SECONDARY = 4  # stories beside the lead
RECENT_DAYS = 3  # a lead is chosen among the stories of the newest days of the edition


@dataclass(frozen=True)
class FrontPage:
    lead: ClassifiedStory | None
    secondary: tuple[ClassifiedStory, ...]
    sections: tuple[tuple[Group, tuple[ClassifiedStory, ...]], ...]  # each section's stories not shown above; none: left out


def front_page(stories: Sequence[ClassifiedStory], sections: Sequence[tuple[Group, Sequence[ClassifiedStory]]], per_section: int) -> FrontPage:
    """``stories`` newest first; ``sections`` each with its stories, newest first."""
    if not stories:
        return FrontPage(None, (), ())
    newest = _newest_day(stories)
    recent = [item for item in stories if newest is not None and _is_recent(item, newest)] or list(stories)
    ranked = sorted(recent, key=_prominence)
    chosen = {item.slug for item in ranked}
    # Only the first few of the ranked stories, then the rest, are ever looked at: not a list of every story.
    top = list(islice(chain(ranked, (item for item in stories if item.slug not in chosen)), 1 + SECONDARY))
    lead, secondary = top[0], tuple(top[1:1 + min(SECONDARY, (len(stories) - 1) // 2)])  # the top takes at most half
    shown = {lead.slug} | {item.slug for item in secondary}
    lists = tuple((group, tuple(islice((item for item in members if item.slug not in shown), per_section))) for group, members in sections)
    return FrontPage(lead, secondary, tuple((group, items) for group, items in lists if items))


def _newest_day(stories: Sequence[ClassifiedStory]) -> dt.date | None:
    """The newest exact day, else the newest approximate one: an approximate date is no reason to pass over a dated lead."""
    dates = [story_dates(item.story)[0] for item in stories]
    exact = [d.day for d in dates if d is not None and not d.approximate]
    return max(exact or [d.day for d in dates if d is not None], default=None)


def _is_recent(item: ClassifiedStory, newest: dt.date) -> bool:
    date = story_dates(item.story)[0]
    return date is not None and 0 <= (newest - date.day).days < RECENT_DAYS


def _prominence(item: ClassifiedStory) -> tuple:
    """Most sources first, then exact before approximate, then newest."""
    date = story_dates(item.story)[0]
    sources = len({source_name(article) for article in item.story.articles})
    return (-sources, date is None or date.approximate, -(date.day.toordinal() if date else 0), item.story.title.lower())
