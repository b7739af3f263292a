#!/usr/bin/env bash
# Prepares a fresh machine that has Node 20+ and npm: pnpm, the workspace's packages, the build.
# With --test-peers it also installs the real TLS peers and servers the test suites start.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 npm_config_nodedir="${npm_config_nodedir:-/usr}"

if [[ "${1:-}" == "--test-peers" ]]; then
  # openssl s_client/s_server, gnutls-cli/serv, curl (h2), nginx (TLS origin), Chromium and
  # NSS's certutil (the browser test). tools/bench installs its own load generators
  # (tools/bench/setup.sh).
  want=(openssl gnutls-bin curl nginx-light ca-certificates chromium libnss3-tools)
  missing=()
  for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    # The nginx package starts a system instance on port 80; the tests start their own.
    $sudo systemctl stop nginx >/dev/null 2>&1 || $sudo service nginx stop >/dev/null 2>&1 || true
  fi
fi

# package.json's "packageManager" (pnpm@X.Y.Z), unless a pnpm of the same major is installed.
pnpm_want=$(node -p 'require("./package.json").packageManager')
pnpm_major=${pnpm_want#pnpm@}; pnpm_major=${pnpm_major%%.*}
if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version)" != "$pnpm_major".* ]]; then
  npm install -g "$pnpm_want"
fi
# BoringSSL for @proxy/tls-boring, built statically from Debian's source package into
# .cache/boringssl/<version>/ (reused when there) before `pnpm install` builds the addon. A
# failure only warns: the package then raises TlsBackendUnavailableError on first use.
bash packages/tls-boring/scripts/build-boringssl.sh ||
  echo "setup: WARNING: BoringSSL could not be built; @proxy/tls-boring will be unavailable" >&2

pnpm install --frozen-lockfile
pnpm build
