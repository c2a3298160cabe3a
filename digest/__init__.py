"""digest: turn a folder of captured news pages and Markdown notes into a static news digest site."""

__version__ = "0.1.0"
