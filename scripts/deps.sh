#!/usr/bin/env bash
# Installs the Debian packages weft needs, and only the ones that are missing.
# Usage: scripts/deps.sh [build|test|bench|all]   (default: test)
# Runs apt-get only when something is missing, so a ready machine pays nothing.
set -eu

want=${1:-test}

build_pkgs="build-essential cmake pkg-config libssl-dev libc-ares-dev libnghttp2-dev
            zlib1g-dev libbrotli-dev libzstd-dev libidn2-dev libuv1-dev"
test_pkgs="libcmocka-dev clang libclang-rt-14-dev curl openssl python3 python3-requests
           python3-aiohttp nginx-light dnsmasq-base tinyproxy wrk nghttp2-client valgrind procps
           gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
           zstd brotli python3-brotli python3-zstandard"
# The default build compiles bench/ too, so its anchors (libuv) are build packages.
bench_pkgs="libcurl4-openssl-dev"

case $want in
    build) pkgs=$build_pkgs ;;
    test)  pkgs="$build_pkgs $test_pkgs" ;;
    bench) pkgs="$build_pkgs $test_pkgs $bench_pkgs" ;;
    all)   pkgs="$build_pkgs $test_pkgs $bench_pkgs" ;;
    *) echo "usage: $0 [build|test|bench|all]" >&2; exit 2 ;;
esac

missing=()
for p in $pkgs; do
    # dpkg-query prints "install ok installed" only for a fully installed package.
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "weft: installing missing Debian packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
