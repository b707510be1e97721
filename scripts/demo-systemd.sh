#!/bin/bash
# `make demo-systemd`: the seed workflow under systemd's cgroup driver. This VM has no systemd
# as PID 1, so its own OS is booted with systemd in a container first (systemd-machine.sh),
# and Podman runs there with cgroup_manager = "systemd" and ocirun as its runtime.
# Everything goes with the machine at the end.
set -euo pipefail
ocirun=$(realpath "${1:?usage: demo-systemd.sh OCIRUN ROOTFS [RUNTIME]}") rootfs=$(realpath "${2:?}")
runtime=$(realpath "${3:-$ocirun}")
here=$(cd "$(dirname "$0")" && pwd)
machine=ocirun-demo-$$
trap '"$here/systemd-machine.sh" stop "$machine"' EXIT

# /etc starts empty in the machine: Podman needs its configuration (policy.json, registries).
binds=(--bind-ro="$here" --bind-ro="$(dirname "$ocirun")" --bind-ro="$rootfs" --bind-ro=/etc/containers)
[[ $runtime == "$ocirun" || $runtime == /usr/* ]] || binds+=(--bind-ro="$(dirname "$runtime")")
[[ -d /opt/ocirun ]] && binds+=(--bind-ro=/opt/ocirun) # CRIU's private prefix
"$here/systemd-machine.sh" start "$machine" "${binds[@]}"
echo "machine $machine: $("$here/systemd-machine.sh" run "$machine" systemctl is-system-running), systemd as PID 1"
"$here/systemd-machine.sh" run "$machine" "$here/podman-systemd-workflow.sh" "$runtime" "$rootfs"
