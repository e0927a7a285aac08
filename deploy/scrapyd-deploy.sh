#!/usr/bin/env bash
# Deploy the aidenum spiders to a Scrapyd server (target "default" of scrapy.cfg, or $1).
#
# The spiders are code of the installed package `aidenum` (aidenum.spiders), so install aidenum
# (pip install .) in the Scrapyd environment first. The egg only carries the project's Scrapy
# entry point (settings = aidenum.spiders.settings, from scrapy.cfg): an egg holding a copy of the
# package would shadow the installed aidenum and its data files. scrapyd-deploy writes a setup.py
# next to scrapy.cfg when there is none, which would clash with pyproject.toml: the egg is built
# from a staging folder holding scrapy.cfg alone.
#
# Environment: SCRAPYD_URL overrides the target URL (e.g. http://127.0.0.1:6801/),
#              SCRAPYD_DEPLOY the scrapyd-deploy command (default: scrapyd-deploy on PATH).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-default}"
stage="$(mktemp -d "${TMPDIR:-/tmp}/aidenum-deploy.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

cp "$here/scrapy.cfg" "$stage/"
if [ -n "${SCRAPYD_URL:-}" ]; then
    sed -i "s|^url = .*|url = ${SCRAPYD_URL}|" "$stage/scrapy.cfg"
fi
cd "$stage"
"${SCRAPYD_DEPLOY:-scrapyd-deploy}" "$target"
