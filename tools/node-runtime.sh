#!/usr/bin/env bash
# Brings an official Node.js build of another major next to the system Node, from the npm
# registry (the node-linux-<arch> packages carry the release binaries and headers), cached under
# .cache/node/. Prints the directory holding its `node` binary, for PATH.
#   bash tools/node-runtime.sh 24   ->  /path/to/repo/.cache/node/24.22.3/bin
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:?usage: tools/node-runtime.sh MAJOR}"
# The version CI tests with, per major: pinned so that runs are repeatable.
case "$major" in
  24) version=24.22.3 ;;
  22) version=22.23.5 ;;
  *) echo "tools/node-runtime.sh: no pinned Node $major" >&2; exit 2 ;;
esac
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "tools/node-runtime.sh: no Node build for $(uname -m)" >&2; exit 2 ;;
esac
dir=".cache/node/$version"
if [[ ! -x "$dir/bin/node" ]]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  mkdir -p "$dir"
  tar -xzf "$tmp"/node-linux-"$arch"-"$version".tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"
fi
"$dir/bin/node" --version >/dev/null
echo "$PWD/$dir/bin"
