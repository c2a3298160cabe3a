"""Old story addresses that keep working: ``redirects:`` in ``digest.yaml``.

A story's address comes from the headline of its first-seen version, so editing that headline moves it (the
preview follows the move; a published site cannot). Each ``old-slug: new-slug`` line makes a small page at
``stories/old-slug/`` that sends readers on to the story, and tells search engines where it lives now (its
canonical link); it is left out of the sitemap and the search index.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from digest.models import ClassifiedStory, Diagnostic
from digest.settings.config import Config, Redirect


def usable_redirects(config: Config, slugs: Collection[str]) -> tuple[list[Redirect], list[Diagnostic]]:
    """The redirects that lead to a story of this build, and what is wrong with the others.

    ``slugs``: the stories' slugs. An old slug that is a story's address again keeps the story (its page is
    never replaced by a redirect); a redirect to a slug no story has is not made."""
    source = str(config.source_file) if config.source_file else "digest.yaml"
    usable, problems = [], []
    for redirect in config.redirects:
        if redirect.old in slugs:
            problems.append(Diagnostic(source, redirect.line, f"redirects.{redirect.old}: a story has this address now, so no redirect is "
                                                              "made there (remove the line)"))
        elif redirect.to not in slugs:
            problems.append(Diagnostic(source, redirect.line, f"redirects.{redirect.old}: no story has the slug '{redirect.to}', so no redirect "
                                                              "is made (`digest list` shows each story's slug)"))
        else:
            usable.append(redirect)
    return usable, problems


def moved_stories(before: Sequence[ClassifiedStory], now: Sequence[ClassifiedStory], config: Config) -> list[tuple[str, str]]:
    """Stories of the last build whose address is gone, and the slug each is at now: (old, new), for the
    addresses no redirect keeps yet. A story is where all of its versions still here went (a story whose
    versions went to several stories has no one new address)."""
    kept = {item.slug for item in now} | {redirect.old for redirect in config.redirects}
    gone = [item for item in before if item.slug not in kept]
    if not gone:  # an edit that keeps every address: no map of every article
        return []
    story_of = {article.id: item.slug for item in now for article in item.story.articles}
    moved = []
    for item in gone:
        went = {story_of[a.id] for a in item.story.articles if a.id in story_of}
        if len(went) == 1:
            moved.append((item.slug, went.pop()))
    return moved


def move_advice(old: str, new: str) -> str:
    """What to tell the editor when a story's address changed."""
    return (f"stories/{old}/ moved to stories/{new}/ (a story's address comes from its first headline). To keep published links "
            f"to it working, add to digest.yaml:\n  redirects:\n    {old}: {new}")
