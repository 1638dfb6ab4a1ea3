#!/usr/bin/env bash
# Runs the whole test suite twice at the same time in this checkout (issue 11:
# "the suite passes when run twice in parallel on this machine") and prints, for
# each run, its summary, its failures and its exit status. Exits 0 only when
# both runs pass. Extra arguments go to both `vitest run`s (e.g. a file filter).
#
#   scripts/parallel-suite.sh            # both full runs (~10 min on 2 cores)
#   KEEP=1 scripts/parallel-suite.sh     # keep the full logs (their paths are printed)
set -uo pipefail
cd "$(dirname "$0")/.."

logs="$(mktemp -d "${TMPDIR:-/tmp}/nr-parallel-suite-XXXXXX")"
started=$(date +%s)
echo "two 'npx vitest run $*' at once in $(pwd), logs in $logs"

pids=()
for run in a b; do
  # No colours: the logs are read by grep and people. CI=1: no watch mode, no TTY tricks.
  CI=1 NO_COLOR=1 npx vitest run --reporter=default "$@" >"$logs/$run.log" 2>&1 &
  pids+=("$!")
done

status=0
codes=()
for i in 0 1; do
  wait "${pids[$i]}"
  code=$?
  codes+=("$code")
  [ "$code" -eq 0 ] || status=1
done

for i in 0 1; do
  run=$([ "$i" -eq 0 ] && echo a || echo b)
  echo
  echo "=== run $run: exit status ${codes[$i]} ==="
  # The failed tests (vitest marks them with ×, FAIL lists the files), then the summary lines.
  plain="$logs/$run.plain"
  sed 's/\x1b\[[0-9;]*m//g' "$logs/$run.log" >"$plain"
  grep -E '^\s*(×|FAIL)\s' "$plain" | sort -u | head -40
  grep -E '^\s*(Test Files|Tests|Errors|Start at|Duration)\s' "$plain"
done

echo
echo "both runs took $(( $(date +%s) - started )) s; exit statuses: a=${codes[0]} b=${codes[1]}"
if [ "${KEEP:-0}" = "1" ] || [ "$status" -ne 0 ]; then
  echo "full logs: $logs/a.log $logs/b.log"
else
  rm -rf "$logs"
fi
exit "$status"
