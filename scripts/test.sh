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
pnpm exec turbo run lint typecheck build test --concurrency=2 --continue --output-logs=errors-only "$@"
echo "all checks passed"
