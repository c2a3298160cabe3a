"""The taxonomy: countries, places, regions, themes, known entities and sections."""
