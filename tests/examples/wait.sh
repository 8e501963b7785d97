#!/usr/bin/env bash
# examples/wait: both the low-level and the high-level run print the two
# lines, and each sleep really lasts its delay.
set -eu
bin="$1/examples/wait"
start=$(date +%s%N)
out=$(timeout 20 "$bin" 1)
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$out"
[ "$(echo "$out" | grep -c '^wait for 1 seconds at [0-9][0-9]:[0-9][0-9]:[0-9][0-9]$')" -eq 2 ]
[ "$(echo "$out" | grep -c '^waited for 1 seconds at ')" -eq 2 ]
[ "$(echo "$out" | sed -n 1p)" != "$(echo "$out" | sed -n 2p)" ]   # wait line then waited line
[ "$elapsed_ms" -ge 2000 ] || { echo "two 1 s sleeps took only ${elapsed_ms} ms"; exit 1; }
[ "$elapsed_ms" -lt 10000 ] || { echo "took ${elapsed_ms} ms"; exit 1; }
echo "ok (${elapsed_ms} ms)"
