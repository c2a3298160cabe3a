"""``digest explain``: why a story is filed where it is, in plain sentences."""

from __future__ import annotations

from collections.abc import Sequence

from digest.models import OTHER_NEWS, ClassifiedStory
from digest.taxonomy.build import default_taxonomy
from digest.taxonomy.model import Section, Taxonomy
from digest.wording import explain_evidence


def explain_lines(item: ClassifiedStory, taxonomy: Taxonomy | None = None, sections: Sequence[Section] = ()) -> list[str]:
    """Why a story is filed where it is, in plain sentences: for ``digest explain`` and story pages."""
    taxonomy = taxonomy if isinstance(taxonomy, Taxonomy) else default_taxonomy()
    filing = item.classification
    label = taxonomy.theme_label(filing.theme)
    lines = [f"{item.story.title}",
             f"  filed under: {filing.region or 'no region'} / {label or 'no theme'}  →  section “{filing.section}”"]
    section = next((s for s in sections if s.name == filing.section), None)
    if section is not None:
        lines.append(f"  section “{section.name}” is the first whose filters match ({section.describe()})")
    elif filing.section == OTHER_NEWS and sections:
        lines.append(f"  no configured section matches, so it is under “{OTHER_NEWS}”")

    def reasons(kind: str, target: str) -> list[str]:
        return [f"      {explain_evidence(e)}" for e in filing.evidence if e.kind == kind and e.target == target]

    def heading(kind: str, empty: str) -> None:
        lines.extend(["", kind.capitalize() + (" (set by the editor)" if kind in filing.overridden else "")])
        if not (filing.regions if kind == "region" else filing.themes):
            lines.append(f"  {empty}")

    heading("region", "no country or region is named often enough to file it by place")
    for n, score in enumerate(filing.regions):
        lines.append(f"  {'primary' if n == 0 else 'also':8} {score.name}  (score {score.score:g})")
        lines += reasons("region", score.name)
        region = taxonomy.regions.get(score.name)
        for country in filing.country_scores:
            if region and taxonomy.country_code(country.name) in region.countries:
                lines.append(f"    {country.name}  (score {country.score:g})")
                lines += ["  " + r for r in reasons("country", country.name)]
    heading("theme", "no theme's cue words are frequent enough")
    for n, score in enumerate(filing.themes):
        lines.append(f"  {'primary' if n == 0 else 'also':8} {taxonomy.theme_label(score.name)} [{score.name}]  (score {score.score:g})")
        lines += reasons("theme", score.name)
    lines.append("")
    lines.append("Entities")
    for ref in filing.entities:
        aliases = f"  (also: {', '.join(ref.aliases)})" if ref.aliases else ""
        lines.append(f"  {ref.kind:12} {ref.name}{aliases}")
    if item.related:
        lines.append("")
        lines.append("Related stories, best first")
        lines += [f"  {slug}" for slug in item.related]
    return lines


def similar_slugs(slug: str, slugs: Sequence[str], limit: int = 3) -> list[str]:
    """Slugs close to a mistyped one: by spelling, then any that contain it or its words."""
    import difflib

    close = difflib.get_close_matches(slug, slugs, n=limit, cutoff=0.5)
    words = [w for w in slug.split("-") if len(w) > 2]
    close += [s for s in slugs if s not in close and (slug in s or (words and all(w in s for w in words)))]
    return close[:limit]
