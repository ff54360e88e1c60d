#!/usr/bin/env bash
# How far two workers on two cores can go on one capture file, in one process and in two
# (docs/SCALING.md, "The ceiling of two workers on one file"). Builds tlsmon at HEAD and,
# in a temporary worktree, tlsmon with docs/experiments/presplit.patch applied (shards told
# their frames in advance: no walk, no routing); writes the capture's two shards' frames to
# two files; then runs, interleaved, RUNS times each:
#   one       GOMAXPROCS=1 tlsmon --workers 1                      (one engine)
#   self2     GOMAXPROCS=2 tlsmon --workers 2                      (self-routed shards)
#   presplit2 GOMAXPROCS=2 presplit --workers 2, less its untimed pass
#   alone0/1  presplit, shard 0 (1) alone on one CPU, less its untimed pass
#   halves    two processes at once, one engine each on one CPU, on the two shards' files
# and prints each row's median wall and CPU (user + sys) in seconds.
#   scripts/ceiling.sh [CAPTURE] [RUNS]     (default /tmp/perfmix.pcap 7)
set -euo pipefail
cap=${1:-/tmp/perfmix.pcap}; runs=${2:-7}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d /tmp/ceiling.XXXXXX)
trap 'git -C "$root" worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add -q --detach "$work/src" HEAD
git -C "$work/src" apply "$root/docs/experiments/presplit.patch"
(cd "$root" && CGO_ENABLED=0 go build -o "$work/tlsmon" ./cmd/tlsmon)
(cd "$work/src" && CGO_ENABLED=0 go build -o "$work/presplit" ./cmd/tlsmon)
TLSMON_PRESPLIT=1 TLSMON_PRESPLIT_WRITE="$work" GOMAXPROCS=2 "$work/presplit" -r "$cap" -o "$work/o" \
  --no-progress -q --workers 2 2>/dev/null
declare -A W C
# one LABEL ENV... -- BIN ARGS: the wall and CPU of one process, less the presplit pass
# where there is one (it prints "presplit: build X ms"; that pass runs on one CPU).
one() { # LABEL ENV... -- BIN ARGS
  local label=$1; shift
  local envs=(); while [[ $1 != -- ]]; do envs+=("$1"); shift; done; shift
  local log; log=$(env "${envs[@]}" /usr/bin/time -f "TIME %e %U %S" "$@" -o "$work/o-$label" --no-progress -q 2>&1 >/dev/null)
  local t; t=$(grep '^TIME' <<<"$log")
  local b; b=$(sed -n 's/^presplit: build \([0-9.]*\) ms.*/\1/p' <<<"$log"); b=${b:-0}
  read -r _ e u s <<<"$t"
  W[$label]+="$(echo "$e - $b/1000" | bc -l) "
  C[$label]+="$(echo "$u + $s - $b/1000" | bc -l) "
}
pair() {
  local s0; s0=$(date +%s%N)
  ( GOMAXPROCS=1 taskset -c 0 /usr/bin/time -f "TIME %e %U %S" -o "$work/t0" "$work/tlsmon" -r "$work/half0.pcap" -o "$work/o-h0" --no-progress -q --workers 1 ) &
  ( GOMAXPROCS=1 taskset -c 1 /usr/bin/time -f "TIME %e %U %S" -o "$work/t1" "$work/tlsmon" -r "$work/half1.pcap" -o "$work/o-h1" --no-progress -q --workers 1 ) &
  wait
  local s1; s1=$(date +%s%N)
  W[halves]+="$(echo "($s1 - $s0)/1000000000" | bc -l) "
  C[halves]+="$(cat "$work/t0" "$work/t1" | awk '/^TIME/{c+=$3+$4} END{print c}') "
}
for ((r = 0; r < runs; r++)); do
  one one GOMAXPROCS=1 -- "$work/tlsmon" -r "$cap" --workers 1
  one self2 GOMAXPROCS=2 -- "$work/tlsmon" -r "$cap" --workers 2
  one presplit2 GOMAXPROCS=2 TLSMON_PRESPLIT=1 -- "$work/presplit" -r "$cap" --workers 2
  one alone0 GOMAXPROCS=1 TLSMON_PRESPLIT=1 TLSMON_PRESPLIT_ONLY=0 -- taskset -c 0 "$work/presplit" -r "$cap" --workers 2
  one alone1 GOMAXPROCS=1 TLSMON_PRESPLIT=1 TLSMON_PRESPLIT_ONLY=1 -- taskset -c 1 "$work/presplit" -r "$cap" --workers 2
  pair
done
med() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{printf "%.3f", a[int((NR+1)/2)]}'; }
one_w=$(echo ${W[one]} | med)
for l in one self2 presplit2 alone0 alone1 halves; do
  w=$(echo ${W[$l]} | med); c=$(echo ${C[$l]} | med)
  printf "%-10s wall %s s  cpu %s s  one/wall %.2fx\n" "$l" "$w" "$c" "$(echo "$one_w / $w" | bc -l)"
done
echo "halves: $(ls -l "$work"/half0.pcap "$work"/half1.pcap | awk '{printf "%s ", $5}')bytes; load: $(cat /proc/loadavg)"
