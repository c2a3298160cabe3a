"""Classify stage: each story's countries, regions, theme, section, entities and related stories."""
