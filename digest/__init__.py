"""digest: turn a folder of captured news pages and Markdown notes into a static news digest site."""

import os

__version__ = "0.1.0"

# numpy's OpenBLAS starts a thread per core when numpy is imported (~0.03 CPU-s of every build that merges); digest
# does no linear algebra. Set before any digest module imports numpy; a value the user set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
