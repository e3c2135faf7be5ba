#!/bin/sh
# Installs what building and testing prober needs, from Debian 12 packages only. Idempotent:
# installs only what is missing. Must run as root (or through sudo).
set -eu
BUILD="build-essential cmake pkg-config libuv1-dev libc-ares-dev libcurl4-openssl-dev libssl-dev
       nlohmann-json3-dev doctest-dev libre2-dev libhttp-parser-dev libsqlite3-dev libprotobuf-dev
       protobuf-compiler libsnappy-dev libyaml-cpp-dev libcrypt-dev libcli11-dev libjemalloc-dev zlib1g-dev ca-certificates"
# Real servers the integration tests start on loopback, what the tests drive them with, clang
# with its libFuzzer runtime for the fuzz targets (tools/fuzz.sh), and the style check (git lists
# the files tools/lint.sh checks: a bare Debian has none).
TEST="nginx-light dnsmasq-base unbound prometheus prometheus-alertmanager openssl python3 python3-yaml
      python3-jsonschema util-linux iproute2 nftables clang libclang-rt-dev
      clang-format clang-tidy git"

missing=""
for p in $BUILD ${WITH_TEST_DEPS:+$TEST}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages:$missing; run as root (sudo $0)" >&2
  exit 1
fi
# nginx, unbound, prometheus and alertmanager are installed for the tests only: keep Debian from starting their
# system services during the install (the tests start their own instances on free ports).
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
