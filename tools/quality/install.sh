#!/usr/bin/env bash
# Installs what digest's quality gates need, only where it is missing, so it is
# cheap to run every time (well under a second once everything is there):
#   Debian: chromium (/usr/bin/chromium) + fonts-liberation, a Java runtime (runs vnu.jar), node + npm
#   npm:    axe-core, lighthouse, vnu-jar -> tools/quality/node_modules (npm ci from package-lock.json)
#   PyPI:   the project with its [test] extra (pytest, playwright) -> only with --python
# Never downloads a browser of its own (no `playwright install`) and skips npm
# install scripts (vnu-jar's would fetch a JDK; the system Java is used).
# Runs without stdin (CI); apt-get needs root.
# Usage: tools/quality/install.sh [--python]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
t0=$(date +%s)

apt_pkgs=()
[[ -x /usr/bin/chromium ]] || apt_pkgs+=(chromium)
# the fonts Chromium would only recommend: screenshots and Lighthouse then see the same text everywhere
dpkg -s fonts-liberation >/dev/null 2>&1 || apt_pkgs+=(fonts-liberation)
command -v java >/dev/null 2>&1 || apt_pkgs+=(default-jre-headless)
command -v node >/dev/null 2>&1 || apt_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_pkgs+=(npm)
if ((${#apt_pkgs[@]})); then
  echo "install: apt-get install ${apt_pkgs[*]}"
  if [[ $(id -u) != 0 ]]; then
    echo "install: apt-get needs root; run: sudo apt-get update && sudo apt-get install -y ${apt_pkgs[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q </dev/null
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${apt_pkgs[@]}" </dev/null
fi

# npm ci only when node_modules is missing or older than the lock file it came from.
stamp="$HERE/node_modules/.installed-lock"
if [[ ! -f "$stamp" ]] || ! cmp -s "$HERE/package-lock.json" "$stamp"; then
  echo "install: npm ci --ignore-scripts in $HERE"
  (cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund </dev/null)
  cp "$HERE/package-lock.json" "$stamp"
fi

if [[ "${1:-}" == "--python" ]]; then
  PY="${PYTHON:-python3}"
  echo "install: $PY -m pip install -e '$REPO[test]'"
  "$PY" -m pip install -q -e "$REPO[test]"
fi

for f in /usr/bin/chromium "$HERE/node_modules/vnu-jar/build/dist/vnu.jar" \
         "$HERE/node_modules/axe-core/axe.min.js" "$HERE/node_modules/.bin/lighthouse"; do
  [[ -e "$f" ]] || { echo "install: $f is still missing" >&2; exit 1; }
done
echo "install: quality tools ready ($(( $(date +%s) - t0 )) s)"
