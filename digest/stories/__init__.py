"""Merge stage: articles -> stories, one per event, and what each version adds."""
