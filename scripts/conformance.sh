#!/usr/bin/env bash
# Build tlsmon and score it on Zeek's conformance corpus (../shared/conformance beside the
# repository): a thin wrapper around the corpus's run-tlsmon.sh.
#   scripts/conformance.sh [OUT_DIR] [extra tlsmon flags...]
# OUT_DIR defaults to a fresh temporary directory. run-tlsmon.sh's variables apply:
# KIND=tcp, ONLY=a,b, TLSMON_FLAGS, SCORE_FLAGS (e.g. SCORE_FLAGS=--json, or "" for the
# per-capture and per-event tables). For Zeek's default mode:
#   TLSMON_FLAGS="--json --events" SCORE_FLAGS="--quiet --events-name events-default.jsonl" scripts/conformance.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS_DIR:-$root/../shared/conformance}
if [ ! -x "$corpus/run-tlsmon.sh" ]; then
  echo "conformance corpus not found at $corpus (set CORPUS_DIR)" >&2
  exit 2
fi
out=${1:-$(mktemp -d /tmp/tlsmon-conformance.XXXXXX)}
[ $# -gt 0 ] && shift
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
(cd "$root" && CGO_ENABLED=0 go build -buildvcs=false -o "$bindir/tlsmon" ./cmd/tlsmon)
echo "output in $out" >&2
"$corpus/run-tlsmon.sh" "$bindir/tlsmon" "$out" --no-progress "$@"
