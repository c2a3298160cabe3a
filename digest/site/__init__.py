"""Graph stage: the digest as a set of pages, each a template plus exactly the values it shows."""
