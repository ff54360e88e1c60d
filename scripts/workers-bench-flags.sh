#!/usr/bin/env bash
# workers-bench.sh with the run's output flags: one engine on one core against 2 workers on 2
# cores, interleaved runs, medians (wall, user, sys, CPU = user+sys, peak RSS).
#   scripts/workers-bench-flags.sh RUNS CAPTURE FLAGS BIN...
# FLAGS are the output options, DIR standing for a scratch directory: "-o - --fingerprints"
# (stdout, discarded), "-o DIR --load known-certs".
set -uo pipefail
runs=$1 cap=$2 flags=$3; shift 3
raw=$(mktemp)
echo "load before: $(cat /proc/loadavg)"
for _ in $(seq $runs); do for b in "$@"; do for w in 1 2; do
  rm -rf /tmp/s2bench-out
  r=$(GOMAXPROCS=$w /usr/bin/time -f "%e %U %S %M" $b -r $cap ${flags//DIR//tmp/s2bench-out} --no-progress -q --workers $w 2>&1 >/dev/null | tail -1)
  echo "$b w$w $r" >> $raw
done; done; done
echo "load after: $(cat /proc/loadavg)"
python3 - "$raw" <<'PY'
import collections, statistics, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    b, w, e, u, s, m = line.split()
    d[(b, w)].append((float(e), float(u), float(s), int(m)))
for (b, w), v in sorted(d.items()):
    med = lambda f: statistics.median(f(x) for x in v)
    print(f"{b} {w}: wall {med(lambda x: x[0]):.2f} user {med(lambda x: x[1]):.2f} sys {med(lambda x: x[2]):.2f} cpu {med(lambda x: x[1] + x[2]):.2f} s, peak RSS {max(x[3] for x in v) // 1024} MB")
PY
rm -f $raw
