#!/usr/bin/env bash
# Valgrind on coroutine code: memcheck must run the task tests (stack
# switches, pooled stacks, cancellation, executor threads) without a single
# error or definite leak. weft registers every task stack with Valgrind;
# (checked here: with mmap'd stacks far apart memcheck also copes without the
# registration, so this guards the coroutine code, not the registration).
# Skipped in sanitizer builds (ASan and Valgrind cannot share a process).
set -eu
build=$1
bin="$build/test_task"
command -v valgrind >/dev/null || { echo "SKIP: no valgrind"; exit 0; }
if nm "$bin" 2>/dev/null | grep -q __asan_init; then
    echo "SKIP: sanitizer build"
    exit 0
fi
for case in cancel_in_every_state deadlines futures run_cancels_leftover_tasks; do
    timeout 120 valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
        "$bin" "$case" >/dev/null
    echo "valgrind clean: $case"
done
