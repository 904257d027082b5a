#!/usr/bin/env bash
# Installs the Debian packages secluster needs, only those that are missing (idempotent).
# As root it runs apt-get; otherwise it prints the command to run.
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev python3 python3-pytest
      libcmocka-dev libjansson-dev libsodium-dev libinih-dev libuv1-dev
      libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev nftables iproute2
      qemu-system-x86 qemu-utils groff-base)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "install-deps: all ${#pkgs[@]} packages present"; exit 0; }
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing: ${missing[*]}"
	echo "install-deps: run as root: apt-get update && $cmd"
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
