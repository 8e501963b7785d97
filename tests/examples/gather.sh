#!/usr/bin/env bash
# examples/gather: results in job order, concurrent (0.3 s, not 0.6 s); with
# --fail the failure is reported and the slower jobs are cancelled.
set -eu
bin="$1/examples/gather"
out=$(timeout 20 "$bin")
echo "$out"
[ "$(echo "$out" | sed -n 1p)" = "python.org: 100" ]
[ "$(echo "$out" | sed -n 2p)" = "github.com: 100" ]
[ "$(echo "$out" | sed -n 3p)" = "example: 70" ]
echo "$out" | grep -Eq '^took 0\.[345] s$' || { echo "not concurrent"; exit 1; }

set +e
out=$(timeout 20 "$bin" --fail)
rc=$?
set -e
echo "$out"
[ $rc -eq 1 ]
grep -q '^python.org: cancelled (Operation canceled)$' <<<"$out"
grep -q '^example: cancelled (Operation canceled)$' <<<"$out"
grep -q '^gather failed: Input/output error$' <<<"$out"
echo "$out" | grep -Eq '^took 0\.[12] s$'
echo ok
