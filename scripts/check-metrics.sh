#!/bin/sh
# Lints a running daemon's /metrics with Prometheus's promtool.
# Usage: scripts/check-metrics.sh [admin URL, default http://127.0.0.1:8080]
# Needs promtool (Debian: apt-get install -y prometheus). Exit 0: clean; else promtool's complaints.
set -eu
url="${1:-http://127.0.0.1:8080}"
if ! command -v promtool >/dev/null 2>&1; then
  echo "check-metrics: promtool not found: install Debian's prometheus package (apt-get install -y prometheus)" >&2
  exit 2
fi
text="$(node -e 'fetch(process.argv[1] + "/metrics").then(async (r) => { if (!r.ok) throw new Error(`GET /metrics: ${r.status}`); process.stdout.write(await r.text()); }).catch((e) => { console.error(`check-metrics: ${e.cause?.message ?? e.message} (${process.argv[1]})`); process.exit(1); })' "$url")"
printf '%s\n' "$text" | promtool check metrics
echo "check-metrics: $url/metrics passes promtool check metrics"
