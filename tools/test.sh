#!/bin/sh
# The whole test suite, as CI runs it: install what is missing, build, run every test (unit and
# integration against real nginx, dnsmasq, unbound, Prometheus and Alertmanager on loopback, and
# the three-region test in network namespaces) in two builds at once: the release build (gcc) and
# one with AddressSanitizer and UndefinedBehaviorSanitizer (clang, which also builds the libFuzzer
# targets: one sanitizer build instead of two, and clang compiles it in half gcc's time); before
# them the style is checked (tools/lint.sh: clang-format, clang-tidy on the sources changed since
# the last whole-tree lint) and each fuzz target runs 20 s (tools/fuzz.sh). Ends with ctest's
# summary line.
set -eu
cd "$(dirname "$0")/.."
WITH_TEST_DEPS=1 sh tools/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

# Debian's python3 (with python3-yaml and python3-jsonschema), not one first on PATH.
py=""
[ -x /usr/bin/python3 ] && py="-DPython3_EXECUTABLE=/usr/bin/python3"
# -g1 (line tables: backtraces and profiles keep file:line, without the type information): gcc
# compiles ~30 % faster than with -g, clang ~10 %.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON $py >/dev/null
cmake --build build -j"$jobs"
# A build-asan/ configured with another compiler (gcc, before) is configured anew.
if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang++' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
# -O1, as ASan advises: the fuzz targets run ~10 times the inputs of -O0 in their 20 s.
CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
  -DPROBER_SANITIZE=ON -DPROBER_FUZZ=ON $py >/dev/null
cmake --build build-asan -j"$jobs"

echo "== lint"
sh tools/lint.sh

echo "== fuzzing (libFuzzer, ASan + UBSan): 20 s per target"
FUZZ_BUILD=build-asan FUZZ_JOBS=$jobs sh tools/fuzz.sh 20

# The two builds' suites run at the same time, each two at a time: the integration suites mostly
# wait on servers and deadlines (free ports, their own network namespaces), so this halves the
# wall time without loading the two cores fully. The release run's summary is printed last.
echo "== sanitizer build (ASan + UBSan) and release build, side by side"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2 >build-asan/ctest.log 2>&1 &
asan_pid=$!
release=0
ctest --test-dir build --output-on-failure -j2 >build/ctest.log 2>&1 || release=$?
asan=0
wait "$asan_pid" || asan=$?
echo "== sanitizer build (ASan + UBSan)"
cat build-asan/ctest.log
echo "== release build"
cat build/ctest.log
[ "$asan" -eq 0 ] && [ "$release" -eq 0 ]
