#!/usr/bin/env bash
# The README's test command: set up a fresh machine (Node 20+ and npm), then run every test on
# the system Node and again on Node 24 (the active LTS, with OpenSSL 3.5), brought from the npm
# registry by tools/node-runtime.sh. Ends with one plain "N passed, N failed" line for both runs.
# PROXY_TEST_NODES="system" runs the system Node only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --test-peers
export NO_COLOR=1
# tsc -b per package (noUncheckedIndexedAccess, noUnused*) and ESLint's type-aware rules.
pnpm lint
# Node 24 up front: besides its own run, it is the post-quantum peer (OpenSSL 3.5) that the
# conformance suite's post-quantum cases start in a separate process during every run.
bash tools/node-runtime.sh 24 >/dev/null

nodes=${PROXY_TEST_NODES:-"system 24"}
passed=0 failed=0 skipped=0 status=0
log=$(mktemp)
for n in $nodes; do
  if [[ "$n" == system ]]; then
    path="$PATH"
  else
    path="$(bash tools/node-runtime.sh "$n"):$PATH"
  fi
  echo "=== tests on Node $(PATH="$path" node --version) ==="
  PATH="$path" pnpm test 2>&1 | tee "$log" || status=1
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
  if [[ -z "$line" ]]; then
    echo "no summary line from the run on Node $n"
    status=1
    continue
  fi
  p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
  s=$(sed -nE 's/.*, ([0-9]+) skipped.*/\1/p' <<<"$line")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
done
rm -f "$log"
echo
echo "all runs ($nodes):"
tail=""; ((skipped)) && tail=", $skipped skipped"
echo "$passed passed, $failed failed$tail"
exit $status
