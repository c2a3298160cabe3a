"""Publishing: writing ``output/``, deploying to GitHub Pages, checking a built site."""
