#!/bin/sh
# Install what is missing, build, and run prober.
#   tools/run.sh                     demo: starts a loopback lab (nginx, dnsmasq, unbound) and
#                                    checks a few broken and healthy targets in it
#   tools/run.sh check URL [flags]   any prober command line, e.g. check https://example.org/
set -eu
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then WITH_TEST_DEPS=1 sh tools/install-deps.sh; else sh tools/install-deps.sh; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# The agent alone: the tests, fuzz targets and benchmarks are tools/test.sh's to build.
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target prober >/dev/null
if [ $# -eq 0 ]; then
  exec python3 tools/demo.py build/prober
fi
exec build/prober "$@"
