#!/usr/bin/env bash
# The README's test command: set up a fresh machine (Node 20+ and npm), then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --test-peers
export NO_COLOR=1
pnpm test
