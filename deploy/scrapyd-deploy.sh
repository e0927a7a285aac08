#!/usr/bin/env bash
# Deploy the aidenum spiders to a Scrapyd server (target "default" of scrapy.cfg, or $1).
#
# scrapyd-deploy writes a setup.py next to scrapy.cfg when there is none, which would clash with
# pyproject.toml: the egg is built from a staging copy holding scrapy.cfg and the spiders/
# package only. The catalogue/ package is imported from the aidenum installed beside Scrapyd,
# so install aidenum (pip install .) in the Scrapyd environment first.
#
# Environment: SCRAPYD_URL overrides the target URL (e.g. http://127.0.0.1:6801/),
#              SCRAPYD_DEPLOY the scrapyd-deploy command (default: scrapyd-deploy on PATH).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-default}"
stage="$(mktemp -d "${TMPDIR:-/tmp}/aidenum-deploy.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

cp "$here/scrapy.cfg" "$stage/"
mkdir -p "$stage/spiders"
(cd "$here" && find spiders -name '*.py' -not -path '*/__pycache__/*' -exec cp --parents {} "$stage/" \;)
if [ -n "${SCRAPYD_URL:-}" ]; then
    sed -i "s|^url = .*|url = ${SCRAPYD_URL}|" "$stage/scrapy.cfg"
fi
cd "$stage"
"${SCRAPYD_DEPLOY:-scrapyd-deploy}" "$target"
