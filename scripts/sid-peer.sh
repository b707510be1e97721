#!/bin/bash
# Provisions a newer peer runtime from Debian unstable ("sid") in a private prefix, beside
# bookworm's own (which stays the system's): runc 1.3.6 under /opt/ocirun/runc13 (the runc the
# tests match) and crun 1.28 under /opt/ocirun/crun128 (for `make bench`).
#
#   sid-peer.sh runc13 | crun128
#
# sid's binaries need sid's glibc, so sid's libc6 goes into the prefix with the libraries the
# binary links, and the binary itself is patched (patchelf) to use that prefix's ld.so and
# libraries: a wrapper running the loader explicitly is not enough, because runc re-executes
# /proc/self/exe (`runc init`), which would then be the loader. The system libc is never
# touched, and the sid source exists only in a temporary apt configuration
# (scripts/sid-download.sh): nothing of it stays. Verified by running a busybox bundle.
# Removal: rm -rf the prefix (`make uninstall` removes all of /opt/ocirun).
set -euo pipefail
peer=${1:?usage: sid-peer.sh runc13|crun128}
case $peer in
  # runc links only libc and libseccomp (ldd); bookworm's libseccomp 2.5.4 would load, but
  # sid's 2.6.1 is what this runc was built against and knows newer syscalls.
  runc13) prefix=/opt/ocirun/runc13 want=1.3.6 bin=usr/sbin/runc pkgs=(runc libc6 libseccomp2) ;;
  # crun links libsystemd, libjson-c, libcap, libblake3 and libseccomp; libcriu is dlopened
  # for checkpoints.
  crun128) prefix=/opt/ocirun/crun128 want=1.28 bin=usr/bin/crun
    pkgs=(crun libc6 libseccomp2 libsystemd0 libjson-c5 libcap2 libblake3-0 libcriu2) ;;
  *) echo "sid-peer: unknown peer $peer (runc13, crun128)" >&2; exit 2 ;;
esac
name=$(basename "$bin")
here=$(cd "$(dirname "$0")" && pwd)
# "runc version 1.3.6+ds1", "crun version 1.28": Debian's +ds1 (repacked source) is not part
# of the version.
version() { "$1" --version 2>/dev/null | awk -v n="$name" '$1==n && $2=="version"{sub(/\+.*/,"",$3); print $3; exit}'; }
if [[ $(version "$prefix/$name") == "$want" ]]; then
  echo "$peer: $want already at $prefix"; exit 0
fi

# patchelf to point the binary at the prefix; busybox-static only if a test rootfs has to be
# built from scratch (no build/rootfs).
export DEBIAN_FRONTEND=noninteractive
need=()
command -v patchelf >/dev/null || need+=(patchelf)
[[ -d $here/../build/rootfs || -x /bin/busybox ]] || need+=(busybox-static)
if ((${#need[@]})); then
  log=$(mktemp)
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } \
    >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
  rm -f "$log"
fi

apt_state() { ls -lA /etc/apt/sources.list.d /etc/apt/preferences.d; }
before=$(apt_state)
tmp=$(mktemp -d)
installed=0
# A failed install leaves no prefix behind (the next run starts over).
trap 'rm -rf "$tmp"; ((installed)) || rm -rf "$prefix"' EXIT
"$here/sid-download.sh" "$tmp/debs" "${pkgs[@]}"
[[ $(apt_state) == "$before" ]] || { echo "$peer: /etc/apt changed during download" >&2; exit 1; }

rm -rf "$prefix"; mkdir -p "$prefix"
for d in "$tmp"/debs/*.deb; do dpkg -x "$d" "$prefix"; done
lib=$prefix/usr/lib/x86_64-linux-gnu
loader=$prefix/usr/lib64/ld-linux-x86-64.so.2
# Every dynamically linked program of the package: sid's loader, and a DT_RPATH
# (--force-rpath; unlike RUNPATH it also covers the libraries' own dependencies, e.g.
# libseccomp's libc) with the prefix first.
for b in "$prefix/$(dirname "$bin")"/*; do
  readelf -l "$b" 2>/dev/null | grep -q 'program interpreter' || continue
  patchelf --set-interpreter "$loader" --force-rpath \
    --set-rpath "$lib:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" "$b"
done
ln -sfn "$bin" "$prefix/$name"

# ldd through the prefix's loader: nothing missing, no symbol version too new for what was
# found (both say "not found"), libc and libseccomp from the prefix.
libs=$("$loader" --list "$prefix/$bin" 2>&1) || true
if grep 'not found' <<<"$libs" >&2; then echo "$peer: unresolved libraries" >&2; exit 1; fi
for so in libc.so.6 libseccomp.so.2; do
  grep -q "$so => $lib/" <<<"$libs" || { echo "$peer: $so not from $prefix:" >&2; echo "$libs" >&2; exit 1; }
done
v=$(version "$prefix/$name") || true
[[ $v == "$want" ]] || { echo "$peer: got version '$v', want $want" >&2; "$prefix/$name" --version >&2 || true; exit 1; }
"$prefix/$name" features | grep -q '"ociVersionMax"' || { echo "$peer: '$name features' failed" >&2; exit 1; }

# Run a container: busybox bundle, `echo hi`, private state dir and a cgroup path of its own
# (so cleaning it up can't touch anyone else's).
rt=$prefix/$name root=/tmp/$peer-root bundle=$tmp/bundle cg=ocirun-$peer-check-$$
cleanup_run() {
  "$rt" --root "$root" delete -f t1 >/dev/null 2>&1 || true
  rm -rf "$root"
  find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -depth -type d -name "$cg" -exec rmdir {} + 2>/dev/null || true
}
trap 'cleanup_run; rm -rf "$tmp"; ((installed)) || rm -rf "$prefix"' EXIT
cleanup_run
mkdir -p "$bundle"
if [[ -d $here/../build/rootfs ]]; then cp -a "$here/../build/rootfs" "$bundle/rootfs"
else "$here/rootfs.sh" "$bundle/rootfs" >/dev/null; fi
(cd "$bundle" && "$rt" spec)
# `spec` writes an interactive `sh`: make it `echo hi` without a terminal, in our cgroup.
python3 - "$bundle/config.json" "/$cg" <<'PY'
import json, sys
path, cg = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/echo", "hi"]
c["linux"]["cgroupsPath"] = cg
json.dump(c, open(path, "w"), indent=1)
PY
out=$("$rt" --root "$root" run --bundle "$bundle" t1 </dev/null 2>"$tmp/run.err") || true
if [[ $out != hi ]]; then
  echo "$peer: container printed '$out', want 'hi'" >&2; cat "$tmp/run.err" >&2; exit 1
fi
installed=1
echo "$peer: $v installed at $prefix/$name"
