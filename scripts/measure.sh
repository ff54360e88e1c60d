#!/usr/bin/env bash
# Interleaved runs of labelled tlsmon command lines over one capture; prints each label's
# medians of wall, user and sys seconds and peak RSS (/usr/bin/time -f "%e %U %S %M"), its
# walls, and the load average after.
#   scripts/measure.sh CAPTURE RUNS "LABEL:ENV:BIN:ARGS" ...
# e.g. scripts/measure.sh /tmp/perfmix.pcap 7 "one:GOMAXPROCS=1:/tmp/tlsmon:" \
#        "two:GOMAXPROCS=2:/tmp/tlsmon:--workers 2"
# ENV is a space-separated list of VAR=value (GOMAXPROCS=1 GOGC=800); BIN may be a command
# with arguments (taskset -c 1 /tmp/tlsmon). Each run writes into /tmp/meas-LABEL.
cap=$1; runs=$2; shift 2
declare -A W U S M
for ((r=0;r<runs;r++)); do
  for spec in "$@"; do
    IFS=: read -r label envs bin args <<<"$spec"
    out=$(env $envs /usr/bin/time -f "%e %U %S %M" $bin -r $cap -o /tmp/meas-$label --no-progress -q $args 2>&1 >/dev/null | tail -1)
    W[$label]+="$(echo $out|cut -d' ' -f1) "; U[$label]+="$(echo $out|cut -d' ' -f2) "; S[$label]+="$(echo $out|cut -d' ' -f3) "; M[$label]+="$(echo $out|cut -d' ' -f4) "
  done
done
med(){ tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
for spec in "$@"; do IFS=: read -r label envs bin args <<<"$spec"
  echo "$label wall $(echo ${W[$label]}|med) user $(echo ${U[$label]}|med) sys $(echo ${S[$label]}|med) rssKB $(echo ${M[$label]}|med)  [walls: ${W[$label]}]"
done
echo "load: $(cat /proc/loadavg)"
