#!/usr/bin/env bash
# The ucontext fallback of the coroutine switch (-DWEFT_UCONTEXT, the build
# option for targets without a hand-written switch), on this machine: build
# the loop and coroutine layers that way with tests/cross/switch_check.c
# (ping-pong tasks with callee-saved integer and floating-point values live
# across every switch, deadlines, cancellation) and run it. The AArch64
# variants are covered by cross_aarch64.sh; the assembly switch of this
# machine by the whole suite.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CC:-cc}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
$cc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -DWEFT_UCONTEXT=1 \
    -I"$src/include" -I"$src/src" \
    "$src"/src/common/*.c "$src"/src/loop/*.c "$src"/src/coro/*.c "$src"/src/coro/*.S \
    "$src/tests/cross/switch_check.c" -o "$out/check-ucontext" -lpthread
# The switch really is ucontext's: swapcontext is linked in.
nm "$out/check-ucontext" | grep -q ' U swapcontext' || { echo "swapcontext not used"; exit 1; }
result=$(timeout 60 "$out/check-ucontext")
echo "$(uname -m) ucontext: $result"
[ "$result" = ok ]
