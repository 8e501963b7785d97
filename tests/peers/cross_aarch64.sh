#!/usr/bin/env bash
# The AArch64 context switch, exercised for real: cross-compile the loop and
# coroutine layers with tests/cross/switch_check.c and run them under
# qemu-user. Skipped (exit 0 with a note) only where the cross toolchain is
# absent; scripts/deps.sh installs it for `make test`.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
cc=aarch64-linux-gnu-gcc
if ! command -v $cc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    echo "SKIP: $cc or qemu-aarch64 missing"
    exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for variant in asm ucontext; do
    defs="-D_GNU_SOURCE"
    [ $variant = ucontext ] && defs="$defs -DWEFT_UCONTEXT=1"
    $cc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter $defs \
        -I"$src/include" -I"$src/src" \
        "$src"/src/common/*.c "$src"/src/loop/*.c "$src"/src/coro/*.c "$src"/src/coro/*.S \
        "$src/tests/cross/switch_check.c" -o "$out/check-$variant" -lpthread -static
    result=$(timeout 120 qemu-aarch64 "$out/check-$variant")
    echo "aarch64 $variant: $result"
    [ "$result" = ok ]
done
