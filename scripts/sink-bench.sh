#!/usr/bin/env bash
# Measure where the logs go: TSV files (the default), JSON files, JSON lines on stdout, and
# Kafka (franz-go's kfake cluster in its own process, one topic, 4 partitions) — wall time,
# CPU of the tlsmon process, rows/s. The figures are in docs/PERFORMANCE.md.
#   scripts/sink-bench.sh [CAPTURE] [RUNS]
# CAPTURE defaults to /tmp/perfmix.pcap (recipe in ../shared/README.md); RUNS to 5. Set
# GOMAXPROCS=1 to see the sink's cost when it shares the engine's one CPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pcap=${1:-/tmp/perfmix.pcap}
runs=${2:-5}
port=${KFAKE_PORT:-39092}
tmp=$(mktemp -d)
trap 'kill $kfake_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
kfake_pid=
go build -C "$root" -o "$tmp/tlsmon" ./cmd/tlsmon
go build -C "$root" -o "$tmp/kfakebroker" ./internal/kafkatest/kfakebroker

# measure NAME ARGS...: runs tlsmon RUNS times; prints the median wall time, the median CPU
# (user + sys) of the tlsmon process, the max RSS and the rows/s at the median wall time.
measure() {
  local name=$1
  shift
  : >"$tmp/times"
  for _ in $(seq "$runs"); do
    rm -rf "$tmp/out"
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$tmp/tlsmon" -r "$pcap" --no-progress "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    cat "$tmp/time" >>"$tmp/times"
  done
  awk -v name="$name" -v rows="$rows_total" '
    { wall[NR] = $1; cpu[NR] = $2 + $3; if ($4 > rss) rss = $4 }
    function median(a, n,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END {
      w = median(wall, NR); c = median(cpu, NR)
      printf "%-22s wall %5.2f s  cpu %5.2f s  max RSS %3d MB  %6.0f rows/s (medians of %d)\n", name, w, c, rss / 1024, rows / w, NR
    }' "$tmp/times"
  grep 'kafka:' "$tmp/stderr" || true
}

# The row count of the run (all logs), from a JSON run.
"$tmp/tlsmon" -r "$pcap" --no-progress --json -o "$tmp/count" 2>/dev/null
rows_total=$(cat "$tmp/count"/*.log | wc -l)
rm -rf "$tmp/count"
echo "capture $pcap: $rows_total rows; load average $(cut -d' ' -f1-3 /proc/loadavg)"

measure "TSV files (default)" -o "$tmp/out"
measure "JSON files" -o "$tmp/out" --json
measure "stdout (-o -)" -o -

"$tmp/kfakebroker" -port "$port" -topics zeek 2>"$tmp/kfake.log" &
kfake_pid=$!
sleep 1
measure "Kafka (kfake)" --kafka "127.0.0.1:$port"
measure "Kafka, no compression" --kafka "127.0.0.1:$port" --kafka-compression none
kill "$kfake_pid"
wait "$kfake_pid" 2>/dev/null || true
kfake_pid=
cat "$tmp/kfake.log"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
