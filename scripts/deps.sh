#!/bin/bash
# Installs the Debian 12 packages ocirun's build and tests need, and fixes up
# the host cgroup layout so crun works. Idempotent: a second run only queries
# dpkg (no network) unless something is missing.
set -euo pipefail

# Build: clang/lld/zlib for NativeAOT + native helper; libseccomp-dev for seccomp; libc6-dev
# (static libc and the syscall table) for a test program built at test time.
# Test containers: busybox-static (rootfs), runc/crun (reference runtimes),
# iproute2/procps/util-linux (ip, ps, nsenter/unshare in tests).
# Podman 4.3.1 as root with the kernel overlay driver (root fs is ext4, so
# fuse-overlayfs/slirp4netns are not needed): podman + conmon, netavark +
# aardvark-dns (network backend; netavark drives iptables for NAT/port maps),
# catatonit (podman --init), uidmap (user-namespace mappings).
# containerd provides `ctr`; docker.io (dockerd, run by the e2e tests with a configuration
# of their own) uses that containerd. nftables/iptables/tar are also what CRIU execs
# (network lock, tmpfs dumps). python3 reads the test reports for the failure summary at
# the end of a run and runs `make bench` (scripts/bench.py). jq is convenience only; tests
# must not need it.
# containernetworking-plugins: the CNI bridge that containerd's CRI plugin gives the tests' pods
# (a private subnet with no host address).
# systemd-container (systemd-nspawn) and dbus boot this host's own OS with systemd as PID 1
# in a container, where the systemd cgroup driver is tested (scripts/systemd-machine.sh).
pkgs=(clang lld zlib1g-dev libc6-dev libseccomp-dev busybox-static runc crun python3
      iproute2 procps util-linux tar podman conmon netavark aardvark-dns
      iptables nftables catatonit uidmap containerd docker.io jq systemd-container dbus
      containernetworking-plugins)

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $st == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # docker.io's maintainer script would start the system's dockerd (its bridge, its iptables
  # rules): a policy-rc.d that refuses service starts exists for the install only, unless
  # the machine has one of its own.
  own_policy=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  log=$(mktemp)
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; [[ -z $own_policy ]] || rm -f /usr/sbin/policy-rc.d; exit 1; }
  rm -f "$log"
  [[ -z $own_policy ]] || rm -f /usr/sbin/policy-rc.d
fi

# The host is cgroup-v1 "hybrid" with cgroup2 at /sys/fs/cgroup/unified, where
# hugetlb is otherwise left attached. crun refuses a hybrid setup whose cgroup2
# holds a controller; binding hugetlb to its own v1 hierarchy empties it.
cg=/sys/fs/cgroup
if [[ -d $cg/unified ]] && ! mountpoint -q "$cg/hugetlb"; then
  mkdir -p "$cg/hugetlb"
  mount -t cgroup -o hugetlb cgroup "$cg/hugetlb"
  # Recorded, so that `make uninstall` takes back the mount this made, and no other.
  mkdir -p /opt/ocirun && echo "$cg/hugetlb" >>/opt/ocirun/mounts-made
fi

echo "deps: ok (${#missing[@]} package(s) installed${missing:+: ${missing[*]}})"
