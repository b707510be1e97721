#!/bin/bash
# The seed workflow with Podman's systemd cgroup manager (Podman passes --systemd-cgroup to
# the runtime), run on a host where systemd is PID 1 (scripts/systemd-machine.sh):
# run, exec, update, pause, checkpoint, restore, export, import x3, stop, rm.
# Prints each command with what it showed, then one line the tests read:
#   result: runtime=NAME scope=UNIT memory=BYTES continued=yes|no copies=N paused=yes|no
#   exec_scope=yes|no
set -euo pipefail
runtime=${1:?usage: podman-systemd-workflow.sh RUNTIME_BINARY ROOTFS} rootfs=${2:?}
name=$(basename "$runtime")
work=/var/lib/ocirun-workflow-$$
mkdir -p "$work"

cat >"$work/containers.conf" <<CONF
[containers]
# No CAP_SYS_RESOURCE on this host: Podman's default ulimits cannot be raised by any runtime.
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
cgroup_manager = "systemd"
events_logger = "file"
runtime = "$name"
runtime_supports_json = ["crun", "runc", "ocirun"]
[engine.runtimes]
$name = ["$runtime"]
[network]
# /etc/containers is the host's, read-only.
network_config_dir = "$work/networks"
CONF
export CONTAINERS_CONF="$work/containers.conf"
pm() { podman --root "$work/storage" --runroot "$work/run" "$@"; }
cleanup() {
  pm rm -af -t 0 >/dev/null 2>&1 || true
  pm system reset -f >/dev/null 2>&1 || true
  umount "$work/storage/overlay" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
on() { printf '$ podman %s\n' "$*"; pm "$@"; }
last() { pm logs "$1" 2>/dev/null | tail -n 1; }
wait_count() { # waits until container $1 printed a number above $2
  for _ in $(seq 50); do [[ $(last "$1") =~ ^[0-9]+$ ]] && (($(last "$1") > $2)) && return 0; sleep 0.2; done; return 1
}

tar -C "$rootfs" -c . | pm import -q - localhost/busybox:latest >/dev/null
on run -d --name looper --network none --memory 64m busybox /bin/sh -c \
  'i=0; while true; do echo $i; i=$(expr $i + 1); sleep 0.2; done'
wait_count looper 2
id=$(pm inspect -f '{{.Id}}' looper)
scope=libpod-$id.scope
printf '$ systemctl show %s -p MemoryLimit -p Slice\n' "$scope"
systemctl show "$scope" -p MemoryLimit -p Slice
exec_scope=no
# The exec'd process joins the container's scope (seen from the host: inside, the
# container's cgroup namespace shows "/").
on exec -d looper sleep 71
# `exec -d` may return before the process shows: looked for a while (pgrep finding none fails
# the pipeline, which set -e would end the script on, without a word).
pid=
for _ in $(seq 50); do pid=$(pgrep -f '^sleep 71' | head -1) && break; sleep 0.1; done
[[ -n $pid ]] && grep -q "/$scope\$" "/proc/$pid/cgroup" && exec_scope=yes
on update --memory 96m looper
memory=$(systemctl show "$scope" -p MemoryLimit --value)
on pause looper
paused=no; [[ $(pm inspect -f '{{.State.Status}}' looper) == paused ]] && paused=yes
on unpause looper

before=$(last looper)
on container checkpoint looper
on container restore looper
continued=no; wait_count looper "$before" && continued=yes
echo "counter went on: $before -> $(last looper)"

on container checkpoint looper --export="$work/chkpt.tar.gz"
copies=0
for n in 1 2 3; do
  on container restore --import="$work/chkpt.tar.gz" -n "looper$n"
  wait_count "looper$n" "$before" && copies=$((copies + 1))
done
on ps --format '{{.Names}} {{.Status}}'
on stop -t 1 looper1
on rm -f -t 0 looper1 looper2 looper3
echo "result: runtime=$name scope=$scope memory=$memory continued=$continued copies=$copies paused=$paused exec_scope=$exec_scope"
