#!/bin/bash
# `make bench`, part two: checkpoint and restore of containers holding 64 MiB, 256 MiB and
# 1 GiB of written memory, ocirun and runc side by side with plain CRIU on the same program
# (a process of the host, `criu dump`/`criu restore` with the same options), once as CRIU
# runs on this host and once with the kernel probe cache it keeps where /run is a tmpfs.
# Rounds interleave them so load changes hit all alike; medians, MiB/s and ratios are reported.
# A last row, floor, is the bytes alone: as many written with dd into a file beside the images
# and read back, in the same rounds: what the page cache and file system take for them.
set -euo pipefail
ocirun=${1:?usage: bench-cr.sh OCIRUN ROOTFS} rootfs=${2:?}
rounds=${BENCH_CR_ROUNDS:-5}
sizes=(${BENCH_CR_SIZES:-64 256 1024})
criu=$(command -v criu)
work=$(mktemp -d /tmp/ocirun-bench-cr.XXXXXX)
cleanup() {
  for rt in ocirun runc; do
    for id in $(ls "$work/root-$rt" 2>/dev/null); do "${bins[$rt]}" --root "$work/root-$rt" delete -f "$id" >/dev/null 2>&1 || true; done
  done
  [[ -n ${plain:-} ]] && kill -9 "$plain" 2>/dev/null || true
  rm -rf "$work"
}
declare -A bins=([ocirun]=$ocirun [runc]=$(command -v runc))
trap cleanup EXIT
mkdir -p "$work/bundle"
cp -a "$rootfs" "$work/bundle/rootfs"
"$ocirun" spec --bundle "$work/bundle"
# A step that fails says which it was and what went wrong, then the bench ends. Runtimes log
# to a file (--log): their stdio is the container's, /dev/null, since CRIU cannot dump a file
# outside the container. CRIU writes to the log named by -o in its image directory, and to
# stderr what goes wrong before that log is open.
step() { # LOG STDIO COMMAND...
  local log=$1 out=$2; shift 2
  "$@" </dev/null >"$out" 2>&1 && return
  local rc=$?
  # CRIU makes its log only once it has started: what went wrong before is on its stderr.
  { echo "bench-cr: '$*' exited $rc:"; if [[ -f $log ]]; then tail -n 20 "$log"; fi
    if [[ $out != /dev/null ]]; then cat "$out"; fi; } >&2
  exit 1
}
runtime() { # RUNTIME ARGS...: the runtime's command, its errors logged to $work/RUNTIME.log
  local rt=$1; shift
  : >"$work/$rt.log"
  step "$work/$rt.log" /dev/null "${bins[$rt]}" --log "$work/$rt.log" --root "$work/root-$rt" "$@"
}
us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

# The program: fill MiB of memory, say so, then sleep. busybox has no such tool; dd into a
# shell variable keeps the pages written and resident.
program() { echo "x=\$(head -c $(($1 << 20)) /dev/zero | tr '\\0' a); touch /tmp/ready; while :; do sleep 1; done"; }

bundle_for() {
  python3 - "$work/bundle/config.json" "$(program "$1")" <<'PY'
import json, sys
path, script = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", script]
c["ociVersion"] = "1.0.2"
c["root"]["readonly"] = False
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/tmp"] + [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]
json.dump(c, open(path, "w"))
PY
}

wait_ready() { # RUNTIME ID
  for _ in $(seq 600); do "${bins[$1]}" --root "$work/root-$1" exec "$2" test -f /tmp/ready 2>/dev/null && return; sleep 0.1; done
  echo "bench-cr: $1 container never got ready" >&2; exit 1
}

container_round() { # RUNTIME SIZE ROUND
  local rt=$1 id=b$2-$3 img=$work/img-$1
  rm -rf "$img" "$work/w-$rt"
  runtime "$rt" run -d --bundle "$work/bundle" "$id"
  wait_ready "$rt" "$id"
  local s; s=$(us)
  runtime "$rt" checkpoint --image-path "$img" --work-path "$work/w-$rt" "$id"
  echo $(($(us) - s)) >>"$work/$rt-$2.dump"
  s=$(us)
  runtime "$rt" restore -d --image-path "$img" --work-path "$work/w-$rt" --bundle "$work/bundle" "$id"
  echo $(($(us) - s)) >>"$work/$rt-$2.restore"
  runtime "$rt" delete -f "$id"
}

with_kdat() { # CACHE-OR-EMPTY COMMAND...
  local cache=$1; shift
  if [[ -n $cache ]]; then "$@" 100<"$cache"; else "$@" 100<&-; fi
}

plain_round() { # SIZE NAME: criu, or criu+kdat with the kernel probe cache ocirun keeps
  # fd 100 closed, or /run/criu.kdat (ocirun's symlink to it) would read as a stale cache and go.
  local img=$work/img-criu kdat=
  if [[ $2 == criu+kdat ]]; then
    # Where /run is a tmpfs CRIU keeps this cache itself: then both rows are CRIU as it runs there.
    [[ $(readlink /run/criu.kdat) == /proc/self/fd/100 ]] && kdat=$(ls /run/ocirun-criu-kdat/"$(cat /proc/sys/kernel/random/boot_id)"-* | head -1)
  fi
  rm -rf "$img" "$work/ready" "$work/plain.pid"; mkdir -p "$img"; [[ -p $work/fifo ]] || mkfifo "$work/fifo"
  # One process, no children: a killed child's pid would stay taken (as its session's id)
  # until someone reaps it, and the restore needs every pid back. It waits on a FIFO. A
  # subshell starts it and reaps it when the dump kills it: bash reports a job killed by a
  # signal ("Killed") on stderr, the subshell's, which goes nowhere. setsid: it leads its own
  # session, since CRIU dumps no process whose session leader is outside its pid namespace, as
  # the bench's is where it runs in a pid namespace made after its session began. Only stdio
  # goes with it: a file the bench was handed may be on a mount CRIU cannot see.
  ( exec 2>/dev/null
    for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; if ((fd > 2)); then eval "exec $fd>&-"; fi; done
    setsid bash -c "x=\$(head -c $(($1 << 20)) /dev/zero | tr '\\0' a); touch $work/ready; while :; do read -t 1 <> $work/fifo; done" \
      </dev/null >/dev/null &
    echo $! >"$work/plain.pid"
    wait ) &
  local reaper=$!
  for _ in $(seq 600); do [[ -f $work/ready ]] && break; sleep 0.1; done
  [[ -f $work/ready ]] || { echo "bench-cr: the plain program never got ready" >&2; exit 1; }
  plain=$(cat "$work/plain.pid")
  local s; s=$(us)
  step "$img/dump.log" "$work/criu.out" with_kdat "$kdat" "$criu" dump -t "$plain" -D "$img" --shell-job -o dump.log
  echo $(($(us) - s)) >>"$work/$2-$1.dump"
  # Reaped, or its pid stays taken and the restore cannot have it back.
  wait "$reaper" || true
  s=$(us)
  step "$img/restore.log" "$work/criu.out" with_kdat "$kdat" "$criu" restore -D "$img" --shell-job -d --pidfile "$img/pid" -o restore.log
  echo $(($(us) - s)) >>"$work/$2-$1.restore"
  kill -9 "$(cat "$img/pid")"; plain=
}

floor_round() { # SIZE: the bytes alone, written into a file beside the images and read back
  local file=$work/floor s
  rm -f "$file"
  s=$(us)
  dd if=/dev/zero of="$file" bs=1M count="$1" status=none
  echo $(($(us) - s)) >>"$work/floor-$1.dump"
  s=$(us)
  cat "$file" >/dev/null
  echo $(($(us) - s)) >>"$work/floor-$1.restore"
  rm -f "$file"
}

for size in "${sizes[@]}"; do
  bundle_for "$size"
  for ((r = 0; r < rounds; r++)); do
    container_round ocirun "$size" "$r"
    container_round runc "$size" "$r"
    plain_round "$size" criu
    plain_round "$size" criu+kdat
    floor_round "$size"
  done
done

printf '%-7s %-9s %13s %9s %10s %9s %13s %9s %10s %9s\n' size runtime "checkpoint" "MiB/s" "vs criu" "vs runc" "restore" "MiB/s" "vs criu" "vs runc"
for size in "${sizes[@]}"; do
  for rt in ocirun runc criu criu+kdat floor; do
    d=$(median "$work/$rt-$size.dump") r=$(median "$work/$rt-$size.restore")
    dr=$(median "$work/runc-$size.dump") rr=$(median "$work/runc-$size.restore")
    dc=$(median "$work/criu-$size.dump") rc=$(median "$work/criu-$size.restore")
    awk -v s="$size" -v n="$rt" -v d="$d" -v r="$r" -v dc="$dc" -v rc="$rc" -v dr="$dr" -v rr="$rr" 'BEGIN {
      printf "%-7s %-9s %10.0f ms %9.0f %9.2fx %8.2fx %10.0f ms %9.0f %9.2fx %8.2fx\n",
        s " MiB", n, d / 1000, s / (d / 1e6), d / dc, d / dr, r / 1000, s / (r / 1e6), r / rc, r / rr }'
  done
done
echo "($rounds rounds, medians; plain criu: the same program as a host process, criu dump/restore --shell-job;"
echo " criu+kdat: the same with the kernel probe cache ocirun keeps where /run is no tmpfs, as CRIU has it where /run is one;"
echo " floor: as many bytes written with dd into a file beside the images and read back: what the page cache and file system take for them)"
