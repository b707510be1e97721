#!/bin/bash
# A host with systemd as PID 1, made from this machine's own OS: systemd-nspawn boots / with a
# tmpfs root (--volatile=yes: /usr is the host's, read-only; /etc and /var start empty), no
# network but loopback (--private-network), in cgroups of its own. This VM has no systemd
# as PID 1; the systemd cgroup driver is tested in there.
#
#   systemd-machine.sh start NAME [--cgroup2] [--bind=SRC:DST ...]
#                                                        boots, waits until systemd is running;
#                                                        --cgroup2: the machine sees cgroup2 only
#                                                        (this host's, with no controllers)
#   systemd-machine.sh run NAME CMD [ARG...]             runs CMD in all its namespaces
#   systemd-machine.sh stop NAME                         halts it and removes what start made
#
# State in /run/ocirun-machines/NAME. Why it is started the way it is:
# - Not `-b`: a small shell is PID 1 first. It writes a machine id (no first-boot wizard, no
#   presets enabling every installed service) and remounts the v1 controllers read-write
#   (nspawn mounts them read-only: limits would silently not apply), then execs systemd.
# - The cgroups ocirun-machine-NAME in every hierarchy (memory: below the caller's own) hold
#   nspawn: started from the root cgroup it would create /payload and /supervisor at the
#   hierarchies' roots, and the read-write controllers would be the host's root cgroups.
# - --register=no --keep-unit: the host has no machined and no D-Bus.
# - SYSTEMD_NSPAWN_API_VFS_WRITABLE: /proc/sys writable, as on a real host; CRIU's restore
#   writes the restored UTS namespace's hostname there (read-only, every restore fails).
# - /etc/alternatives from the host: /usr's programs reached through it (iptables-restore,
#   which CRIU runs) would dangle in the empty /etc.
# - --kill-signal=SIGRTMIN+3: with a shell as the first PID 1, SIGTERM would mean SIGKILL.
#   Stop by SIGTERM to nspawn (never SIGRTMIN+4: nspawn has no handler and dies, leaving
#   the machine running).
set -euo pipefail

cmd=${1:?usage: $0 start|run|stop NAME ...}
name=${2:?machine name}
state=/run/ocirun-machines/$name
cg=ocirun-machine-$name

cgroup_dirs() {
  local memcg c
  memcg=$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)
  for c in cpu cpuacct cpuset devices freezer blkio pids hugetlb systemd unified; do
    [[ -d /sys/fs/cgroup/$c ]] && echo "/sys/fs/cgroup/$c/$cg"
  done
  echo "/sys/fs/cgroup/memory${memcg%/}/$cg"
}

leader() { cat "$state/leader"; }

case $cmd in
start)
  shift 2
  unified=
  if [[ ${1:-} == --cgroup2 ]]; then unified=1; shift; fi
  [[ ! -e $state ]] || { echo "machine $name exists already" >&2; exit 1; }
  command -v systemd-nspawn >/dev/null || { echo "systemd-nspawn is missing (make deps)" >&2; exit 1; }
  mkdir -p "$state"
  id=$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  init="echo $id >/etc/machine-id; for c in /sys/fs/cgroup/*/; do mount -o remount,bind,rw \"\$c\" 2>/dev/null; done; exec /lib/systemd/systemd"
  (
    for d in $(cgroup_dirs); do
      mkdir -p "$d"
      if [[ $d == */cpuset/* ]]; then
        cat "$d/../cpuset.cpus" >"$d/cpuset.cpus"; cat "$d/../cpuset.mems" >"$d/cpuset.mems"
      fi
      echo $BASHPID >"$d/cgroup.procs"
    done
    export SYSTEMD_NSPAWN_API_VFS_WRITABLE=1
    [[ -z $unified ]] || export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
    exec setsid systemd-nspawn --machine="$name" --volatile=yes -D / --register=no --keep-unit \
      --private-network --console=read-only --kill-signal=SIGRTMIN+3 --bind-ro=/etc/alternatives \
      "$@" /bin/sh -c "$init" \
      </dev/null >"$state/nspawn.log" 2>&1
  ) &
  echo $! >"$state/nspawn.pid"
  nspawn=$!
  end=$((SECONDS + 60))
  until l=$(pgrep -P "$nspawn" | head -1) && [[ -n $l ]] && nsenter -t "$l" -m test -S /run/systemd/private 2>/dev/null; do
    if ((SECONDS >= end)) || ! kill -0 "$nspawn" 2>/dev/null; then
      echo "machine $name did not come up:" >&2; cat "$state/nspawn.log" >&2; "$0" stop "$name"; exit 1
    fi
    sleep 0.1
  done
  echo "$l" >"$state/leader"
  # `is-system-running --wait` exits non-zero for "degraded" too: the printed state decides.
  s=$(timeout $((end - SECONDS)) nsenter -t "$l" -a systemctl is-system-running --wait || true)
  if [[ $s != running && $s != degraded ]]; then
    echo "machine $name: systemd is '$s'" >&2; "$0" stop "$name"; exit 1
  fi
  ;;
run)
  shift 2
  # The machine's environment, not the caller's (a TMPDIR of the host would not exist there).
  exec nsenter -t "$(leader)" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 "$@"
  ;;
stop)
  if [[ -f $state/nspawn.pid ]]; then
    p=$(cat "$state/nspawn.pid")
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      # Halting took too long: everything in the machine's cgroups goes.
      echo 1 >"/sys/fs/cgroup/unified/$cg/cgroup.kill" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  # nspawn leaves payload/, supervisor/ and systemd's own cgroups below ours: deepest first.
  for d in $(cgroup_dirs); do
    [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rmdir "/run/systemd/nspawn/propagate/$name" 2>/dev/null || true
  rm -rf "$state"
  rmdir /run/ocirun-machines 2>/dev/null || true
  # nspawn makes these on its first run (/run is not a tmpfs here): gone with the last machine.
  if ! pgrep -x systemd-nspawn >/dev/null; then
    rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn /run/systemd/nspawn-root 2>/dev/null || true
  fi
  left=$(for d in $(cgroup_dirs); do if [[ -d $d ]]; then echo "$d"; fi; done)
  [[ -z $left ]] || { echo "machine $name: cgroups left: $left" >&2; exit 1; }
  ;;
*)
  echo "usage: $0 start|run|stop NAME ..." >&2; exit 2
  ;;
esac
