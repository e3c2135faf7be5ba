#!/bin/sh
# Runs every libFuzzer target for SECONDS each (default 30), from the seed corpus in
# fuzz/corpus/<target>/. Builds them first with clang under ASan + UBSan, in build-fuzz/ or in
# FUZZ_BUILD (tools/test.sh passes its clang sanitizer build, which has the targets already:
# configured with -DPROBER_FUZZ=ON). New inputs found go to <build>/corpus/<target>/ (kept
# between runs, never into the repo); a crash leaves its input in <build>/artifacts/ and makes
# this exit non-zero: turn it into a regression test and add it to the seed corpus.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-30}
targets="dns_message_fuzz http_request_fuzz config_fuzz sink_payload_fuzz web_config_fuzz aia_issuer_fuzz"
jobs=$(nproc 2>/dev/null || echo 2)
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ is missing (tools/install-deps.sh with WITH_TEST_DEPS=1 installs clang)" >&2
  exit 1
fi
out=${FUZZ_BUILD:-build-fuzz}
if [ -z "${FUZZ_BUILD:-}" ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROBER_FUZZ=ON \
    -DPROBER_BUILD_TESTS=OFF >/dev/null
fi
# shellcheck disable=SC2086
cmake --build "$out" -j"$jobs" --target $targets
mkdir -p "$out/artifacts"
# One target per core at a time (FUZZ_JOBS to choose): each job is one libFuzzer process.
parallel=${FUZZ_JOBS:-1}

fuzz_one() {
  t=$1
  mkdir -p "$out/corpus/$t"
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$out/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/$t-" "$out/corpus/$t" "fuzz/corpus/$t" \
      >"$out/$t.log" 2>&1; then
    echo "fuzz $t: ${seconds}s, $(grep -E '^stat::number_of_executed_units' "$out/$t.log" | awk '{print $2}') runs, no crash, corpus $(ls "$out/corpus/$t" | wc -l) files"
    return 0
  fi
  echo "fuzz $t FAILED; input in $out/artifacts/, log $out/$t.log:" >&2
  tail -40 "$out/$t.log" >&2
  return 1
}

status=0
pids=""
running=0
for t in $targets; do
  fuzz_one "$t" &
  pids="$pids $!"
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    for p in $pids; do wait "$p" || status=1; done
    pids=""
    running=0
  fi
done
for p in $pids; do wait "$p" || status=1; done
exit $status
