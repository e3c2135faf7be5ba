#!/usr/bin/env bash
# prober vs prometheus-blackbox-exporter, driven the same way in the same run: the shared
# peer-bench harness (../shared/peer-bench) starts its loopback lab (nginx HTTP/HTTPS with an
# ECDSA P-256 certificate, dnsmasq), pins the measured daemon to CPU 1 and drives /probe with wrk
# from CPU 0. prober is started with bench/peer_modules.json (blackbox's three modules).
#   bench/peer_compare.sh                       # blackbox section: CPU per probe, probes/s, RSS
#   bench/peer_compare.sh scale --scale-levels 1000 3000   # RSS per in-flight probe
#   RUNS=3 DURATION=20 bench/peer_compare.sh    # the harness's defaults (longer)
#   bench/peer_compare.sh floor [--conc 1]      # blackbox against build/probe_floor instead: the
#                                               # kernel's share of a /probe (HTTP and DNS)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=${PEER_BENCH:-$here/../../shared/peer-bench}
prober=${PROBER_BIN:-$here/../build/prober}
[[ -x $peer/peer_baseline.sh ]] || { echo "peer harness not found at $peer (set PEER_BENCH)" >&2; exit 2; }
[[ -x $prober ]] || { echo "build prober first: $prober" >&2; exit 2; }
export RUNS=${RUNS:-1} DURATION=${DURATION:-10}
# Every figure below was measured with these libraries (TLS costs differ between OpenSSL 3.0 and 3.5).
echo "prober built with: $("$prober" --version | grep -o 'libcurl/[^ ]*\|OpenSSL/[^ ]*' | tr '\n' ' ')"
if [[ ${1:-} == floor ]]; then
  shift
  floor=${FLOOR_BIN:-$(dirname "$prober")/probe_floor}
  [[ -x $floor ]] || { echo "build probe_floor first: $floor" >&2; exit 2; }
  exec "$peer/peer_baseline.sh" blackbox --modules http dns "$@" \
    --daemon-name floor \
    --daemon-cmd "$floor 18117" \
    --daemon-url 'http://127.0.0.1:18117/probe?module={module}&target={target}'
fi
sections=("$@")
[[ ${#sections[@]} -eq 0 ]] && sections=(blackbox)
exec "$peer/peer_baseline.sh" "${sections[@]}" \
  --daemon-name prober \
  --daemon-cmd "$prober run --config $here/peer_modules.json --log-format json" \
  --daemon-url 'http://127.0.0.1:18116/probe?module={module}&target={target}' \
  --daemon-ready 'http://127.0.0.1:18116/readyz'
