#!/usr/bin/env bash
# The README's main job: set up a fresh machine (Node 20+ and npm), then start the demo gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec node apps/gateway/dist/main.js "$@"
