#!/bin/bash
# parallel_subprocesses: three children run at once, their lines interleave
# as they come, every line arrives, the exit codes are theirs, and the whole
# takes about as long as the slowest child (0.6 s), not the sum (1.35 s).
set -euo pipefail
OUT=$(timeout 60 "$1/examples/parallel_subprocesses")
echo "$OUT"
for n in a b c; do
    for i in 1 2 3; do grep -qx "\[$n\] $n $i" <<<"$OUT"; done
done
[ "$(grep -c '^\[' <<<"$OUT")" = 9 ]
# Interleaved: the first line of each child comes before the last of any.
FIRST_C=$(grep -n '^\[c\] c 1$' <<<"$OUT" | cut -d: -f1)
LAST_A=$(grep -n '^\[a\] a 3$' <<<"$OUT" | cut -d: -f1)
[ "$FIRST_C" -lt "$LAST_A" ]
grep -qx "returncodes: 0 1 2" <<<"$OUT"
SECS=$(sed -n 's/^3 children in parallel took \([0-9.]*\) s$/\1/p' <<<"$OUT")
python3 -c "import sys; t=float('$SECS'); sys.exit(0 if 0.59 < t < 1.2 else 1)"
echo "parallel_subprocesses ok"
