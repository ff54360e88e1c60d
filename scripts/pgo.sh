#!/usr/bin/env bash
# Regenerates cmd/tlsmon/default.pgo, the CPU profile `go build` uses for profile-guided
# optimization of tlsmon (-pgo=auto, Go's default: inlining and devirtualization of the hot
# calls; docs/PERFORMANCE.md, "Process-level costs"). The profile is of runs in default mode
# over perfmix and the no-repetition capture, each with one engine on one core and with two
# workers on two cores (the sharded path: dispatcher, outboxes, merger) (recipes: ../shared/README.md,
# internal/testgen/cmd/genunique). Rerun it after large changes to the per-packet path: a
# stale profile is still safe (Go matches it by function names), it only helps less.
#
#   scripts/pgo.sh                      # PERFMIX=/tmp/perfmix.pcap UNIQUE=/tmp/unique-body.pcap RUNS=6
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
perfmix=${PERFMIX:-/tmp/perfmix.pcap}
unique=${UNIQUE:-/tmp/unique-body.pcap}
runs=${RUNS:-6}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && CGO_ENABLED=0 go build -pgo=off -buildvcs=false -o "$tmp/tlsmon" ./cmd/tlsmon)
for i in $(seq "$runs"); do
  for c in "$perfmix" "$unique"; do
    GOMAXPROCS=1 "$tmp/tlsmon" -r "$c" -o "$tmp/out" --no-progress -q --cpuprofile "$tmp/$i-$(basename "$c").prof"
    GOMAXPROCS=2 "$tmp/tlsmon" -r "$c" -o "$tmp/out" --no-progress -q --workers 2 --cpuprofile "$tmp/$i-$(basename "$c")-w2.prof"
  done
done
go tool pprof -proto "$tmp"/*.prof >"$tmp/default.pgo"
mv "$tmp/default.pgo" "$root/cmd/tlsmon/default.pgo"
echo "wrote $root/cmd/tlsmon/default.pgo ($(wc -c <"$root/cmd/tlsmon/default.pgo") bytes)"
