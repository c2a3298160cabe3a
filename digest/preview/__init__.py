"""``digest serve``: the live preview, built in memory and reloaded on save."""
