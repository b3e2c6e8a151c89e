#!/usr/bin/env bash
# Install the system packages the test suite drives, when they are missing:
#   chromium   — the real-browser tests (Playwright drives /usr/bin/chromium)
#   postgresql — the store tests start a throw-away server with initdb/pg_ctl
#   poppler-utils — the PDF report tests render page 1 with pdftoppm
# As root they are installed with apt-get; otherwise we stop and print the command.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || missing+=(postgresql)
[ -x /usr/bin/pdftoppm ] || missing+=(poppler-utils)
# fonts for readable screenshots (no web fonts at run time)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them, then run 'make test' again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages for the tests: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
