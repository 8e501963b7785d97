#!/bin/bash
# subprocess_sort: check the sorted output, the child's words and exit code,
# and that four 0.3 s children ran side by side (well under 4 x 0.3 s).
set -euo pipefail
OUT=$(timeout 60 "$1/examples/subprocess_sort")
echo "$OUT"
grep -qx "sorted: a" <<<"$OUT"
grep -q "^b$" <<<"$OUT"
grep -qx "child said: hello from a child" <<<"$OUT"
grep -qx "returncode: 0" <<<"$OUT"
grep -qx "job 0 (rc 0): c d " <<<"$OUT"
grep -qx "job 3 (rc 0): 1 2 " <<<"$OUT"
SECS=$(sed -n 's/^4 subprocesses in parallel took \([0-9.]*\) s$/\1/p' <<<"$OUT")
python3 -c "import sys; t=float('$SECS'); sys.exit(0 if 0.29 < t < 1.0 else 1)"
echo "subprocess_sort ok"
