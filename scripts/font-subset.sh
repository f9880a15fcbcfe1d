#!/usr/bin/env bash
# Regenerate ui/fonts/*.woff2 (see scripts/font-subset.py): install Debian's fonts-noto-cjk,
# python3-fonttools and python3-brotli if missing (scripts/deps.sh font), then subset.
# Note: fonts-noto-cjk gives this machine a system CJK font; the screenshot test in
# tests/e2e_language.rs hides system CJK fonts from its browsers, so it still proves the served
# font draws the Korean.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh font
exec /usr/bin/python3 scripts/font-subset.py "$@"
