#!/bin/sh
# Installs the load generators and the C baseline when missing (Debian/Ubuntu).
# The harness runs this itself when a tool is missing; it is safe to run by hand.
set -e
missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v h2load >/dev/null 2>&1 || missing="$missing nghttp2-client"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v taskset >/dev/null 2>&1 || missing="$missing util-linux"
if [ -z "$missing" ]; then
  echo "bench setup: all tools present"
  exit 0
fi
echo "bench setup: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
