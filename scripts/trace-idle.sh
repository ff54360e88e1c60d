#!/usr/bin/env bash
# Where a run's CPUs sat idle, from an execution trace (tlsmon --trace FILE): how long 0, 1,
# 2 … goroutines were running (in a system call counts: a write's copy uses the CPU), each
# goroutine's running time, and, for the time fewer than
# PROCS goroutines ran, what the waiting goroutines were blocked in (the first tlsmon/engine
# function of the stack that blocked them: (*shard).run is a shard waiting for its input,
# (*Outbox).chunk one waiting for the merger to give a chunk back, dispatchFrom.func1 the
# dispatcher waiting for a shard, (*merger).run the merger waiting for a shard's chunk).
#   scripts/trace-idle.sh TRACE [PROCS]     (PROCS: the run's GOMAXPROCS, default 2)
# e.g. GOMAXPROCS=2 tlsmon -r /tmp/perfmix.pcap -o /tmp/o --workers 2 --trace /tmp/t.out
#      scripts/trace-idle.sh /tmp/t.out 2
# (docs/PERFORMANCE.md, "merger"). The trace costs time itself: compare shares, not walls.
trace=$1; procs=${2:-2}
go tool trace -d=parsed "$trace" | awk '
  function flush() { if (t != "") print t, g, from, to, (why == "" ? "-" : why); t = "" }
  /^M=/ {
    flush()
    if ($0 !~ /StateTransition/ || $0 !~ /GoID=/) next
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^Time=/) t = substr($i, 6)
      else if ($i ~ /^GoID=/) g = substr($i, 6)
      else if ($i ~ /->/) { split($i, s, "->"); from = s[1]; to = s[2] }
    }
    why = ""; instack = 0; next
  }
  /^TransitionStack=/ { instack = 1; next }
  /^Stack=/ { instack = 0; next }
  instack && why == "" && from == "Running" && to == "Waiting" && /tlsmon\/engine\./ {
    why = $1; sub(/.*tlsmon\/engine\./, "", why)
  }
  END { flush() }' | sort -n -k1,1 | awk -v procs="$procs" '
  NR == 1 { t0 = $1; last = $1 }
  {
    dt = $1 - last
    if (dt > 0) {
      n = 0; key = ""
      for (x in st) if (st[x] == "Running" || st[x] == "Syscall") { n++; ran[x] += dt }
      hist[n] += dt
      if (n < procs) {
        for (x in st) if (st[x] == "Waiting" && wait[x] != "-") key = key " G" x ":" wait[x]
        idle[n " running;" key] += dt
      }
    }
    # a goroutine already in a system call when the trace starts is blocked there (os/signal)
    last = $1; st[$2] = ($4 == "Syscall" && ($3 == "Undetermined" || st[$2] == "Blocked")) ? "Blocked" : $4
    if ($4 == "Waiting") wait[$2] = $5
    if ($4 == "Running" && $5 != "-") name[$2] = $5
    if ($3 == "Running" && $4 == "Waiting" && $5 != "-" && !($2 in label)) label[$2] = $5
  }
  END {
    printf "span %.1f ms\n", (last - t0) / 1e6
    for (k = 0; k <= procs; k++) printf "%d running: %.1f ms\n", k, hist[k] / 1e6
    print "running time by goroutine (labelled by where it first blocked):"
    for (x in ran) if (ran[x] > 1e6) printf "  G%s %.1f ms %s\n", x, ran[x] / 1e6, (x in label ? label[x] : "")
    print "fewer than " procs " running, by what the others waited in (top 12):"
    for (k in idle) printf "  %.1f ms %s\n", idle[k] / 1e6, k | "sort -rn | head -12"
  }'
