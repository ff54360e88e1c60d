#!/usr/bin/env bash
# One engine on one core against N workers on N cores, interleaved runs, medians.
#   [FLAGS="-o DIR ..."] scripts/workers-bench.sh RUNS CAPTURE N BIN...
# FLAGS are the run's output options, DIR standing for a scratch directory (default "-o DIR";
# e.g. FLAGS="-o - --fingerprints": stdout, discarded; FLAGS="-o DIR --load local").
# For each BIN: RUNS × (GOMAXPROCS=1 --workers 1, GOMAXPROCS=N --workers N), interleaved; prints
# per (BIN, workers) the medians of wall, user, sys, CPU (user+sys) seconds and the largest
# peak RSS (/usr/bin/time -f "%e %U %S %M"), and the load average before and after.
set -euo pipefail
runs=$1 capture=$2 n=$3 flags=${FLAGS:--o DIR}
shift 3
raw=$(mktemp) out=$(mktemp -d)
trap 'rm -rf "$raw" "$out"' EXIT
echo "load before: $(cat /proc/loadavg)"
for _ in $(seq "$runs"); do
  for b in "$@"; do
    for w in 1 "$n"; do
      rm -rf "$out/logs"
      # shellcheck disable=SC2086 # FLAGS is a list of options
      r=$(GOMAXPROCS=$w /usr/bin/time -f "%e %U %S %M" "$b" -r "$capture" ${flags//DIR/$out/logs} --no-progress -q --workers "$w" 2>&1 >/dev/null | tail -1)
      echo "$b w$w $r" >>"$raw"
    done
  done
done
echo "load after: $(cat /proc/loadavg)"
python3 - "$raw" <<'PY'
import collections, statistics, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    b, w, e, u, s, m = line.split()
    d[(b, w)].append((float(e), float(u), float(s), int(m)))
for (b, w), v in sorted(d.items()):
    med = lambda f: statistics.median(f(x) for x in v)
    print(f"{b} {w}: wall {med(lambda x: x[0]):.2f} user {med(lambda x: x[1]):.2f} sys {med(lambda x: x[2]):.2f} "
          f"cpu {med(lambda x: x[1] + x[2]):.2f} s, peak RSS {max(x[3] for x in v) // 1024} MB; walls {[x[0] for x in v]}")
PY
