#!/usr/bin/env bash
# Installs everything (Node 24 and pnpm when missing, dependencies, Chromium for the browser
# test) and runs every check: lint, typecheck, build and all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh

if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing Debian's chromium for the browser test" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
      echo "test: could not install chromium; the browser test will fail" >&2
  fi
fi

pnpm install --frozen-lockfile

# Test output is shown in full (lint, typecheck and build only when they fail); the vitest totals
# of every package are added up into one closing line.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
pnpm exec turbo run lint typecheck build test --concurrency=2 --continue "$@" 2>&1 | tee "$log" || status=$?
totals="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /^[^ ]+:test: +Tests +/ {
    for (i = 1; i <= NF; i++) {
      if ($(i) ~ /^passed/) p += $(i - 1)
      if ($(i) ~ /^failed/) f += $(i - 1)
      if ($(i) ~ /^skipped/) s += $(i - 1)
    }
  }
  END { printf "%d passed, %d failed, %d skipped", p, f, s }')"
echo
echo "tests: $totals"
if [ "$status" -ne 0 ]; then
  echo "some checks failed (exit $status)" >&2
  exit "$status"
fi
echo "all checks passed"
