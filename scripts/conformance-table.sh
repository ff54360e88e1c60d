#!/usr/bin/env bash
# Print the Markdown table of docs/CONFORMANCE.md: score.py's figures per kind of capture, for
# an output tree made by scripts/conformance.sh (all captures).
#   scripts/conformance-table.sh OUT_DIR [EVENTS_NAME]
# EVENTS_NAME is events.jsonl (default: a run with --analyze-encrypted) or events-default.jsonl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS_DIR:-$root/../shared/conformance}
out=${1:?usage: conformance-table.sh OUT_DIR [EVENTS_NAME]}
events=${2:-events.jsonl}
echo "| kind | captures | events exp/act | event exact | event args | ssl.log rows | ssl.log fields | x509.log rows | x509.log fields | conn rows |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for kind in none tcp udp starttls quic tunnel mixed all; do
  traces=$(awk -F'\t' -v k="$kind" 'NR>1 && (k=="all" || $3==k) {print $1}' "$corpus/INDEX.tsv" | paste -sd, -)
  [ -z "$traces" ] && continue
  python3 "$corpus/score.py" "$out" --expected "$corpus/expected" --json --quiet \
    --events-name "$events" --traces "$traces" | tail -1 | python3 -c '
import json, sys
s = json.loads(sys.stdin.read()); k = sys.argv[1]
print("| %s | %d | %d/%d | %.4f | %.4f | %s | %.4f | %s | %.4f | %s |" % (k, s["captures"],
  s["events_expected"], s["events_actual"], s["event_score_exact"], s["event_score_args"],
  s["ssl_log_rows_found"], s["ssl_log_field_score"], s["x509_log_rows_found"],
  s["x509_log_field_score"], s["conn_rows_matched"]))' "$kind"
done
