#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian 12 packages Weir needs to build, test, demo and bench.
# Idempotent and quick when everything is there. --if-needed: only install when
# something is missing (what `make demo` and `make test` call).
set -euo pipefail

PKGS=(
	build-essential pkg-config clang llvm
	libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev zlib1g-dev
	libhyperscan-dev libpcre2-dev
	libnanomsg-dev libmsgpack-dev
	libpcap-dev libjansson-dev libyaml-dev libssl-dev libcap-dev
	libmicrohttpd-dev libcurl4-openssl-dev libmnl-dev
	libcmocka-dev
	python3 python3-scapy python3-msgpack python3-jsonschema python3-prometheus-client
	tcpreplay iproute2 iputils-ping iperf3 ethtool socat netcat-openbsd tcpdump time bc
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	[ "${1:-}" = "--if-needed" ] || echo "deps: all ${#PKGS[@]} packages installed"
	exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO=sudo
	else
		echo "deps: missing packages (${missing[*]}) and not root: run 'make deps' as root" >&2
		exit 1
	fi
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
