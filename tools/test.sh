#!/bin/sh
# The whole test suite, as CI runs it: install what is missing, build, run every test (unit and
# integration against real nginx, dnsmasq and unbound on loopback), then the same again built
# with AddressSanitizer and UndefinedBehaviorSanitizer. Ends with ctest's summary line.
set -eu
cd "$(dirname "$0")/.."
WITH_TEST_DEPS=1 sh tools/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPROBER_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"

echo "== sanitizer build (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure
echo "== release build"
ctest --test-dir build --output-on-failure
