#!/usr/bin/env bash
# Runs the whole system in one process on embedded defaults: SQLite and blobs under .data/,
# the in-process event bus, both workers, and the local annotator unless GEMINI_API_KEY is set.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh
pnpm install --frozen-lockfile --reporter=silent
exec pnpm --silent dev "$@"
