#!/bin/sh
# Builds the container image and smoke-tests it, the way these machines allow (no Docker
# engine, no registry, `podman run` unavailable; see docs/container.md):
#   1. a Debian base image from debootstrap (SUITE: trixie, Debian 13, the image's default; or
#      bookworm, Debian 12), imported into podman once;
#   2. podman build --isolation=chroot with BASE set to it;
#   3. the image's filesystem (a container created from it, never started) entered with chroot
#      as the image's non-root user: prober runs an example configuration against a target on
#      loopback, /metrics and `prober healthcheck` are checked, SIGTERM must end it with exit 0.
# Prints the image size. Run as root: sh tools/container-smoke.sh
set -eu
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-localhost/prober:test}
SUITE=${SUITE:-trixie}
BASE_IMAGE=${BASE_IMAGE:-localhost/debian:$SUITE}

need=""
for p in podman crun debootstrap fuse-overlayfs uidmap curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
fi

if ! podman image exists "$BASE_IMAGE"; then
  rootfs=$(mktemp -d /tmp/prober-rootfs-XXXXXX)
  echo "== debootstrap $SUITE (minbase) -> $BASE_IMAGE"
  debootstrap --variant=minbase "$SUITE" "$rootfs" >/dev/null
  tar -C "$rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
fi

echo "== podman build $IMAGE"
start=$(date +%s)
podman build --isolation=chroot --network=host --build-arg BASE="$BASE_IMAGE" -t "$IMAGE" . >/tmp/prober-image-build.log 2>&1 \
  || { tail -40 /tmp/prober-image-build.log; exit 1; }
echo "   built in $(( $(date +%s) - start )) s"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
base=$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")
echo "   image size: $((size / 1000000)) MB (base $((base / 1000000)) MB, prober's layers $(((size - base) / 1000000)) MB)"
echo "   entrypoint/cmd/user: $(podman image inspect --format '{{.Config.Entrypoint}} {{.Config.Cmd}} user={{.Config.User}}' "$IMAGE")"

container=$(podman create "$IMAGE")
root=$(podman mount "$container")
cleanup() {
  [ -n "${target_pid:-}" ] && kill "$target_pid" 2>/dev/null || true
  [ -n "${prober_pid:-}" ] && kill -9 "$prober_pid" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
  podman umount "$container" >/dev/null 2>&1 || true
  podman rm -f "$container" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mount -t proc proc "$root/proc" 2>/dev/null || echo "   (no /proc in the chroot: process_* metrics will read 0)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
target_port=$(free_port)
metrics_port=$(free_port)
python3 -m http.server "$target_port" --bind 127.0.0.1 --directory /tmp >/dev/null 2>&1 &
target_pid=$!
for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$target_port/" 2>/dev/null && break; sleep 0.1; done
cat > "$root/etc/prober/config.json" <<JSON
{"vantage": {"name": "container-smoke", "region": "loopback"},
 "defaults": {"interval": "1s", "timeout": "800ms"},
 "monitors": [{"name": "web", "type": "http", "url": "http://127.0.0.1:$target_port/"},
              {"name": "closed", "type": "tcp", "target": "127.0.0.1:1"}],
 "sinks": {"jsonl": {"path": "/var/lib/prober/results.jsonl"}},
 "spool": {"dir": "/var/lib/prober/spool"}}
JSON
echo "== chroot --userspec=prober $root prober run (the image's CMD, port $metrics_port)"
chroot --userspec=prober:prober "$root" /usr/local/bin/prober run --config /etc/prober/config.json \
  --web.listen-address "127.0.0.1:$metrics_port" 2>/tmp/prober-container-smoke.log &
prober_pid=$!
ok=""
for _ in $(seq 1 50); do
  metrics=$(curl -fsS "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null || true)
  if echo "$metrics" | grep -q 'probe_success{monitor="closed".* 0$' && echo "$metrics" | grep -q 'probe_success{monitor="web".* 1$'; then
    ok=1
    break
  fi
  sleep 0.2
done
[ -n "$ok" ] || { cat /tmp/prober-container-smoke.log; echo "FAIL: no /metrics"; exit 1; }
curl -fsS "http://127.0.0.1:$metrics_port/metrics" | grep -E '^probe_success|^prober_spool_bytes|^prober_vantage_healthy'
chroot --userspec=prober:prober "$root" /usr/local/bin/prober healthcheck "http://127.0.0.1:$metrics_port/healthz" \
  && echo "   prober healthcheck: ok"
echo "   runs as: $(ps -o user= -p "$prober_pid" 2>/dev/null || echo '?') (uid $(stat -c %u /proc/$prober_pid 2>/dev/null || echo '?'))"
kill -TERM "$prober_pid"
rc=0
wait "$prober_pid" || rc=$?
prober_pid=""
tail -3 /tmp/prober-container-smoke.log
results=$(wc -l < "$root/var/lib/prober/results.jsonl")
echo "   results written: $results ($(python3 -c 'import json,sys,collections; print(dict(collections.Counter((r["monitor"], r["class"]) for r in map(json.loads, open(sys.argv[1])))))' "$root/var/lib/prober/results.jsonl")); spool file: $(ls "$root/var/lib/prober/spool")"
if [ "$rc" -ne 0 ]; then echo "FAIL: exit $rc after SIGTERM"; exit 1; fi
echo "== container smoke test passed: exit 0 after SIGTERM"
