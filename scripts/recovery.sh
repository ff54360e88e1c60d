#!/usr/bin/env bash
# Make a damaged copy of the corpus's tcp captures and measure what tlsmon recovers from it,
# in its default mode (Zeek's rule) and with --recover.
#   scripts/recovery.sh OUT_DIR reorder SEED [WINDOW]     packets permuted within windows (default 4)
#   scripts/recovery.sh OUT_DIR drop SEED [RATE]          packets dropped with probability RATE (default 0.02)
# Prints ../shared/conformance/recovery.py's figure for each mode (fields of the intact ssl.log
# found equal in the damaged run) and the ssl.log rows the intact run does not have (must be 0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS_DIR:-$root/../shared/conformance}
out=${1:?usage: recovery.sh OUT_DIR reorder|drop SEED [WINDOW|RATE]}
mode=${2:?mode: reorder or drop}
seed=${3:?seed}
param=${4:-}
case $mode in
  reorder) dmg=(-mode reorder -skip 8 -window "${param:-4}") ;;
  drop) dmg=(-mode drop -skip 3 -rate "${param:-0.02}") ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
mkdir -p "$out/pcaps" "$out/bin"
(cd "$root" && go build -buildvcs=false -o "$out/bin/tlsmon" ./cmd/tlsmon &&
  go build -buildvcs=false -o "$out/bin/damagepcap" ./internal/damage/damagepcap)
head -1 "$corpus/INDEX.tsv" >"$out/INDEX.tsv"
awk -F'\t' '$3 == "tcp"' "$corpus/INDEX.tsv" >>"$out/INDEX.tsv"
while IFS=$'\t' read -r name file kind _; do
  [ "$name" = "name" ] && continue
  "$out/bin/damagepcap" "${dmg[@]}" -seed "$seed" "$corpus/pcaps/$file" "$out/pcaps/$file"
  for m in default recover; do
    flags=(--json --events --no-progress)
    [ $m = recover ] && flags+=(--recover)
    mkdir -p "$out/$m/$name"
    "$out/bin/tlsmon" -r "$out/pcaps/$file" -o "$out/$m/$name" "${flags[@]}" >/dev/null 2>&1 ||
      echo "tlsmon failed on $name ($m)" >&2
  done
done <"$out/INDEX.tsv"
for m in default recover; do
  printf '%-8s ' $m
  python3 "$corpus/recovery.py" "$corpus/expected" "$out/$m" "$out/INDEX.tsv"
  python3 - "$corpus/expected" "$out/$m" "$out/INDEX.tsv" <<'PY'
import collections, json, os, sys
intact, run, index = sys.argv[1:4]
def rows(p):
    c = collections.Counter()
    if os.path.exists(p):
        for l in open(p, errors="replace"):
            r = json.loads(l)
            c[(r.get("id.orig_h"), r.get("id.orig_p"), r.get("id.resp_h"), r.get("id.resp_p"))] += 1
    return c
extra = 0
for n in [l.split("\t")[0] for l in open(index).read().splitlines()[1:]]:
    a, b = rows(os.path.join(intact, n, "ssl.log")), rows(os.path.join(run, n, "ssl.log"))
    for k, v in b.items():
        if v > a.get(k, 0):
            extra += v - a.get(k, 0)
            print("         extra ssl.log row:", n, k)
print("         ssl.log rows the intact capture does not have: %d" % extra)
PY
done
