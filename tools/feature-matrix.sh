#!/usr/bin/env bash
# Regenerates docs/feature-matrix.md from what the conformance suite observes on each backend
# (never written by hand). Needs the build and the test peers (tools/setup.sh --test-peers).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# On Node 24 (the active LTS, OpenSSL 3.5): the openssl column then shows what users of today's
# Node get (the hybrid post-quantum group among it), and the post-quantum cases' Node 24 peer is there.
export PATH="$(bash tools/node-runtime.sh 24):$PATH"
PROXY_CONFORMANCE_OUT="$out" NO_COLOR=1 npx vitest run --project tls-openssl --project tls-pure --project tls-s2n --project tls-boring conformance
node packages/testkit/dist/feature-matrix-cli.js "$out" docs/feature-matrix.md
echo "wrote docs/feature-matrix.md from $(ls "$out" | tr '\n' ' ')"
