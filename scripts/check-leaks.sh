#!/bin/bash
# Run after the test suites: fails if tests left containers, state dirs, cgroups or mounts.
set -uo pipefail
ocirun=${1:?usage: check-leaks.sh OCIRUN}
problems=()
for root in /run/ocirun-it/*/; do
  [[ -d $root ]] || continue
  ids=$("$ocirun" --root "$root" list -q 2>/dev/null | tr '\n' ' ')
  problems+=("state root $root left behind${ids:+ with containers: $ids}")
done
cgroups=$(find /sys/fs/cgroup -maxdepth 4 -type d \( -name 'ocirun-it-*' -o -name 'ocirun-machine-*' -o -name 'ocirun-rl-*' \) 2>/dev/null | head -5 | tr '\n' ' ')
[[ -n $cgroups ]] && problems+=("cgroups left behind: $cgroups")
mounts=$(grep -c -E ' /(tmp|run)/ocirun-it' /proc/self/mountinfo)
((mounts > 0)) && problems+=("$mounts mounts left under /tmp/ocirun-it or /run/ocirun-it")
machines=$(ls /run/ocirun-machines 2>/dev/null | tr '\n' ' ')
[[ -n $machines ]] && problems+=("systemd machines left running: $machines")
users=$(getent passwd ocirun-rl ocirun-rlp | cut -d: -f1 | tr '\n' ' ')
[[ -n $users ]] && problems+=("rootless test users left: $users")
grep -qs '^ocirun-rl' /etc/subuid /etc/subgid && problems+=("subordinate ids of a rootless test user left in /etc/subuid or /etc/subgid")
ls -d /tmp/ctrd-checkpoint* >/dev/null 2>&1 && problems+=("containerd checkpoint images left in /tmp (ctrd-checkpoint*)")
[[ -n $(ls -A /tmp/ocirun-it 2>/dev/null) ]] && problems+=("bundles left in /tmp/ocirun-it")
if ((${#problems[@]})); then
  printf 'leak check: %s\n' "${problems[@]}" >&2
  exit 1
fi
rmdir /tmp/ocirun-it 2>/dev/null
echo "leak check: nothing left behind"
