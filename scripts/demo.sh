#!/bin/bash
# `make demo`: the mission's Podman workflow with ocirun as the runtime: run a counter,
# checkpoint and restore it, export it, import three copies, and migrate it to a second
# "host" (another Podman with its own storage, in its own network namespace). Every command
# is printed with what it showed; everything is removed at the end.
set -euo pipefail
ocirun=${1:?usage: demo.sh OCIRUN ROOTFS} rootfs=${2:?}
work=$(mktemp -d /tmp/ocirun-demo.XXXXXX)
netns=ocirun-demo-$$

# Root lacks CAP_SYS_RESOURCE here, so Podman's default ulimits cannot be set by any runtime.
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "ocirun"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "ocirun"]
[engine.runtimes]
ocirun = ["$ocirun"]
[network]
network_backend = "netavark"
CONF
export CONTAINERS_CONF="$work/containers.conf"

# Host A and host B: separate storage and run roots; B lives in its own network namespace.
podman_a() { podman --root "$work/a/storage" --runroot "$work/a/run" "$@"; }
# nsenter joins only the network namespace; `ip netns exec` would also remount /sys and hide
# the cgroup hierarchies from Podman and the runtime.
podman_b() { nsenter --net="/run/netns/$netns" podman --root "$work/b/storage" --runroot "$work/b/run" "$@"; }

cleanup() {
  podman_a rm -af -t 0 >/dev/null 2>&1 || true
  podman_b rm -af -t 0 >/dev/null 2>&1 || true
  podman_a system reset -f >/dev/null 2>&1 || true
  podman_b system reset -f >/dev/null 2>&1 || true
  ip netns delete "$netns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# Prints the command as a user would type it, then runs it on the given host.
on() { local host=$1; shift; printf '%s$ podman %s\n' "$host" "$*"; "podman_${host,,}" "$@"; }
last() { "podman_${1,,}" logs "$2" 2>/dev/null | tail -n 1; }

ip netns add "$netns"
ip -n "$netns" link set lo up
# No registry here: host A imports the busybox rootfs, host B loads the very same image (the
# checkpoint archive names its image by id).
tar -C "$rootfs" -c . | podman_a import -q - localhost/busybox:latest >/dev/null
podman_a save -q localhost/busybox:latest | podman_b load -q >/dev/null

say "1. A counter in a container, with ocirun as Podman's runtime"
on A run -d --name looper --network none busybox /bin/sh -c 'i=0; while true; do echo $i; i=$(expr $i + 1); sleep 1; done'
sleep 4
echo "counter now: $(last A looper)"

say "2. Checkpoint: the container leaves 'podman ps'"
before=$(last A looper)
on A container checkpoint -l
on A ps --format '{{.Names}} {{.Status}}'
echo "(last number before the checkpoint: $before)"

say "3. Restore: it continues where it stopped"
on A container restore -l
sleep 2
podman_a logs looper | awk -v b="$before" '$1 > b' | head -n 3 | sed 's/^/  after restore: /'

say "4. Export a checkpoint and import three copies"
on A container checkpoint -l --export="$work/chkpt.tar.gz"
ls -l "$work/chkpt.tar.gz"
for n in looper1 looper2 looper3; do on A container restore --import="$work/chkpt.tar.gz" -n "$n"; done
sleep 3
on A ps --format '{{.Names}} {{.Status}}'
for n in looper1 looper2 looper3; do echo "$n counts on: $(last A $n)"; done

say "5. Migration: import the same archive on host B (own storage, own network namespace)"
on B container restore --import="$work/chkpt.tar.gz" -n migrated
sleep 3
on B ps --format '{{.Names}} {{.Status}}'
echo "migrated counts on: $(last B migrated)"

say "Done: cleaning up"
