#!/bin/bash
# `make demo`, part two: live migration of a container holding MIB MiB of written memory
# between two "hosts" (network namespaces joined by a veth pair, both made here), first with
# lazy pages (the checkpoint serves the memory from a page server on host A; CRIU's
# lazy-pages daemon on host B fetches it over the veth while the restored container already
# runs), then back with a plain checkpoint, copy and restore. For each it prints the frozen
# time: from the checkpoint's start (the container is frozen right after) until the restore
# on the other host has returned with the container running. Output lines starting with
# "result:" are for tests (tests/Ocirun.E2ETests/LiveMigrationTests.cs).
set -euo pipefail
ocirun=${1:?usage: migrate-lazy.sh OCIRUN ROOTFS} rootfs=${2:?}
mib=${MIGRATE_MIB:-256}
criu=$(command -v criu)
work=$(mktemp -d /tmp/ocirun-migrate.XXXXXX)
hosts=(ocirun-mig-a-$$ ocirun-mig-b-$$)
addr=(192.0.2.1 192.0.2.2) # TEST-NET-1: reachable only over this veth
port=27027
pipe_max=$(cat /proc/sys/fs/pipe-max-size)
pids=()

cleanup() {
  # Each background command leads a process group of its own: CRIU's workers go with it.
  for p in "${pids[@]}"; do kill -9 -- "-$p" 2>/dev/null || true; done
  for h in a b; do
    for id in $(ls "$work/state-$h" 2>/dev/null); do "$ocirun" --root "$work/state-$h" delete -f "$id" >/dev/null 2>&1 || true; done
  done
  for n in "${hosts[@]}"; do ip netns delete "$n" 2>/dev/null || true; done
  echo "$pipe_max" >/proc/sys/fs/pipe-max-size
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# on HOST CMD...: runs CMD in that host's network namespace (nsenter: `ip netns exec` would
# also remount /sys and hide the cgroup hierarchies).
on() { local h=$1; shift; nsenter --net="/run/netns/${hosts[$h]}" "$@"; }
now() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
ms() { echo $((($2 - $1) / 1000)); }
# The container is looper-a on host A and looper-b on host B: the two "hosts" share this
# machine's cgroup hierarchy, where one id would mean one cgroup.
count() { "$ocirun" --root "$work/state-$1" exec "looper-$1" tail -n 1 /tmp/count; }
wait_for() { # WHAT CMD...: polls every 5 ms for up to 60 s
  local what=$1; shift
  for _ in $(seq 12000); do "$@" 2>/dev/null && return; sleep 0.005; done
  echo "migrate-lazy: timed out waiting for $what" >&2; exit 1
}
veth_rx_mib() { echo $(($(ip netns exec "${hosts[1]}" cat /sys/class/net/vb/statistics/rx_bytes) >> 20)); }

# CRIU's page transfer grows its pipes to 4 MiB (restored on exit).
((pipe_max >= 4194304)) || echo 4194304 >/proc/sys/fs/pipe-max-size

say "Two hosts: network namespaces A (${addr[0]}) and B (${addr[1]}) joined by a veth pair"
for n in "${hosts[@]}"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add va netns "${hosts[0]}" type veth peer name vb netns "${hosts[1]}"
ip -n "${hosts[0]}" addr add "${addr[0]}/24" dev va
ip -n "${hosts[1]}" addr add "${addr[1]}/24" dev vb
ip -n "${hosts[0]}" link set va up
ip -n "${hosts[1]}" link set vb up

# One bundle per host (the same image on both, as a registry would give them).
for h in a b; do
  mkdir -p "$work/bundle-$h" "$work/state-$h"
  cp -a "$rootfs" "$work/bundle-$h/rootfs"
  "$ocirun" spec --bundle "$work/bundle-$h"
  python3 - "$work/bundle-$h/config.json" "$mib" <<'PY'
import json, sys
path, mib = sys.argv[1], int(sys.argv[2])
c = json.load(open(path))
c["process"]["terminal"] = False
# MIB MiB written into a shell variable (resident, not zero pages), then a counter in /tmp.
c["process"]["args"] = ["sh", "-c", f"x=$(head -c {mib << 20} /dev/zero | tr '\\0' a); touch /tmp/ready; "
                        "i=0; while :; do echo $i >>/tmp/count; i=$((i+1)); sleep 0.1; done"]
c["root"]["readonly"] = False
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/tmp"] + [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]
json.dump(c, open(path, "w"))
PY
done

say "1. On host A: a counter holding $mib MiB of written memory"
on 0 "$ocirun" --root "$work/state-a" run -d --bundle "$work/bundle-a" looper-a </dev/null >/dev/null 2>&1
wait_for "the container's memory" "$ocirun" --root "$work/state-a" exec looper-a test -f /tmp/ready
sleep 0.5
echo "A: counter at $(count a)"

say "2. Lazy migration A -> B: only the small images move before B runs it; the memory follows on demand"
before=$(count a)
rx0=$(veth_rx_mib)
t0=$(now)
# setsid and nsenter exec the command, so $! is the checkpoint itself (not a subshell
# around it), in a process group of its own.
setsid nsenter --net="/run/netns/${hosts[0]}" "$ocirun" --root "$work/state-a" checkpoint --image-path "$work/img-a" --work-path "$work/work-a" \
  --lazy-pages --page-server "${addr[0]}:$port" --status-fd 3 looper-a 3>"$work/status" &
dump=$!; pids+=("$dump")
wait_for "the page server" test -s "$work/status"
t_served=$(now)
cp -a "$work/img-a" "$work/img-b" # the "transfer" of everything but the memory
mkdir -p "$work/work-b"
setsid nsenter --net="/run/netns/${hosts[1]}" "$criu" lazy-pages --page-server --address "${addr[0]}" --port "$port" \
  --images-dir "$work/img-b" --work-dir "$work/work-b" -o lazy-pages.log &
pids+=("$!")
wait_for "the lazy-pages daemon" test -S "$work/work-b/lazy-pages.socket"
on 1 "$ocirun" --root "$work/state-b" restore -d --lazy-pages --image-path "$work/img-b" --work-path "$work/work-b" \
  --bundle "$work/bundle-b" looper-b </dev/null >/dev/null
t1=$(now)
wait "$dump" # the checkpoint ends once B has every page
t_all=$(now)
lazy_ms=$(ms "$t0" "$t1")
rx=$(($(veth_rx_mib) - rx0))
sleep 0.3
after=$(count b)
echo "frozen: $lazy_ms ms (dump without the memory $(ms "$t0" "$t_served") ms, restore on B $(ms "$t_served" "$t1") ms)"
echo "memory: $rx MiB arrived over the veth, the last of it $(ms "$t1" "$t_all") ms after B was running"
echo "counter: $before on A before, $after on B after"
echo "result: lazy frozen_ms=$lazy_ms veth_mib=$rx before=$before after=$after"

say "3. Plain migration B -> A: checkpoint everything, copy, restore"
before=$(count b)
rm -rf "$work/img-a" "$work/work-a"
t0=$(now)
on 1 "$ocirun" --root "$work/state-b" checkpoint --image-path "$work/img-b2" --work-path "$work/work-b2" looper-b
t_dumped=$(now)
cp -a "$work/img-b2" "$work/img-a"
on 0 "$ocirun" --root "$work/state-a" restore -d --image-path "$work/img-a" --work-path "$work/work-a" \
  --bundle "$work/bundle-a" looper-a </dev/null >/dev/null
t1=$(now)
plain_ms=$(ms "$t0" "$t1")
sleep 0.3
after=$(count a)
echo "frozen: $plain_ms ms (checkpoint $(ms "$t0" "$t_dumped") ms, copy and restore on A $(ms "$t_dumped" "$t1") ms)"
echo "counter: $before on B before, $after on A after"
echo "result: plain frozen_ms=$plain_ms before=$before after=$after"

say "Frozen time with $mib MiB: lazy $lazy_ms ms, plain $plain_ms ms"
