#!/usr/bin/env bash
# Live capture throughput (docs/PERFORMANCE.md, "Live capture"): replays a capture at full
# speed (tcpreplay --topspeed) from a network namespace onto a veth pair and captures the
# other end with tlsmon -i; then runs the same capture from the file. Prints the packets
# handled, kernel drops and CPU per packet of both. Needs root, iproute2 and tcpreplay.
#
#   [WORKERS=2] [PROCS=2] [LIVE_ARGS="--af-packet-block-size 1048576"] scripts/live-perf.sh [CAPTURE]
#   DRAIN=200000 [WORKERS=2] scripts/live-perf.sh [CAPTURE]
#
# DRAIN=N measures tlsmon's own capacity, without tcpreplay on the cores: tlsmon is stopped
# (SIGSTOP) while the first N packets are replayed into its ring(s) (N must fit in one ring per
# worker: 200,000 perfmix packets take ≈ 100 MiB), then continued (SIGCONT); the time until its
# CPU use stops is the time it took to handle them.
#   (CAPTURE defaults to /tmp/perfmix.pcap; see docs/PERFORMANCE.md)
set -euo pipefail
cd "$(dirname "$0")/.."
pcap=${1:-/tmp/perfmix.pcap}
ns=tlsmon-perf$$ send=tmps$$ recv=tmpr$$
bin=$(mktemp -d)/tlsmon
out=$(mktemp -d)
cleanup() { ip link del "$recv" 2>/dev/null || true; ip netns del "$ns" 2>/dev/null || true; rm -rf "$out" "$(dirname "$bin")"; }
trap cleanup EXIT
go build -o "$bin" ./cmd/tlsmon
ip netns add "$ns"
ip link add "$recv" mtu 9000 type veth peer name "$send" mtu 9000
ip link set "$send" netns "$ns"
noipv6() { local p=/proc/sys/net/ipv6/conf/$1/disable_ipv6; [ ! -e "$p" ] || echo 1 >"$p"; }
noipv6 "$recv"
ip netns exec "$ns" sh -c "p=/proc/sys/net/ipv6/conf/$send/disable_ipv6; [ ! -e \$p ] || echo 1 >\$p"
ip link set "$recv" up
ip netns exec "$ns" ip link set "$send" up

tick=$(getconf CLK_TCK)
cpu() { awk -v t="$tick" '{printf "%.3f", ($14+$15)/t}' "/proc/$1/stat"; }
echo "load before: $(cat /proc/loadavg)"
# WORKERS=2: one tlsmon with two workers (--workers 2: two sockets in the fanout group, an
# engine each). PROCS=2: two tlsmon processes in one fanout group, sharing the interface by
# flow the same way.
procs=${PROCS:-1}
workers=${WORKERS:-1}
pids=()
for i in $(seq "$procs"); do
  "$bin" -i "$recv" -o "$out/live$i" --stats-interval 0 --af-packet-fanout-id 4242 --workers "$workers" ${LIVE_ARGS:-} 2>"$out/live$i.err" &
  pids+=($!)
  until grep -q "capturing on" "$out/live$i.err" 2>/dev/null; do sleep 0.1; done
done
if [ -n "${DRAIN:-}" ]; then
  kill -STOP "${pids[@]}"
  ip netns exec "$ns" tcpreplay --topspeed --limit="$DRAIN" -i "$send" "$pcap" 2>&1 | grep -E "Actual|Failed"
  sleep 0.5
  total() { local c=0; for p in "${pids[@]}"; do c=$(awk -v a="$c" -v b="$(cpu "$p")" 'BEGIN{printf "%.3f", a+b}'); done; echo "$c"; }
  c0=$(total)
  t0=$(date +%s.%N)
  kill -CONT "${pids[@]}"
  # busy until the CPU time stops growing (less than 2 ms in a 20 ms sample, 3 times running)
  prev=$c0 last=$t0 quiet=0
  while [ "$quiet" -lt 3 ]; do
    sleep 0.02
    now=$(total)
    if awk -v a="$now" -v b="$prev" 'BEGIN{exit !(a-b < 0.002)}'; then quiet=$((quiet + 1)); else quiet=0; last=$(date +%s.%N); fi
    prev=$now
  done
  awk -v t0="$t0" -v t1="$last" -v c0="$c0" -v c1="$prev" -v n="$DRAIN" 'BEGIN{
    printf "drain: %d packets in %.3f s wall (%.0f k packets/s), CPU %.3f s (%.0f ns/packet)\n", n, t1-t0, n/(t1-t0)/1000, c1-c0, (c1-c0)*1e9/n}'
fi
[ -n "${DRAIN:-}" ] || ip netns exec "$ns" tcpreplay --topspeed -i "$send" "$pcap" 2>&1 | grep -E "Actual|Rated|Failed"
sleep 1
c=0
for p in "${pids[@]}"; do c=$(awk -v a="$c" -v b="$(cpu "$p")" 'BEGIN{printf "%.3f", a+b}'); done
kill -TERM "${pids[@]}"
wait "${pids[@]}" || true
pk=0
for i in $(seq "$procs"); do
  grep -E "packets=|dropped by the kernel" "$out/live$i.err"
  pk=$((pk + $(grep -o "packets=[0-9]*" "$out/live$i.err" | cut -d= -f2)))
done
echo "live ($procs process(es), $workers worker(s) each): CPU $c s for $pk packets: $(awk -v c="$c" -v p="$pk" 'BEGIN{printf "%.0f", c*1e9/p}') ns/packet"
filepcap=$pcap
if [ -n "${DRAIN:-}" ]; then # the file run reads the same first N packets (classic pcap)
  filepcap=$out/first.pcap
  python3 - "$pcap" "$filepcap" "$DRAIN" <<'PY'
import struct, sys
src, dst, n = open(sys.argv[1], "rb"), open(sys.argv[2], "wb"), int(sys.argv[3])
hdr = src.read(24)
end = "<" if hdr[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
dst.write(hdr)
for _ in range(n):
    rec = src.read(16)
    if len(rec) < 16:
        break
    dst.write(rec + src.read(struct.unpack(end + "IIII", rec)[2]))
PY
fi
/usr/bin/time -f "%U %S" -o "$out/time" "$bin" -q -r "$filepcap" -o "$out/file"
fc=$(awk '{printf "%.3f", $1+$2}' "$out/time")
echo "file: CPU $fc s for the same capture: $(awk -v c="$fc" -v p="$pk" 'BEGIN{printf "%.0f", c*1e9/p}') ns/packet"
echo "load after: $(cat /proc/loadavg)"
