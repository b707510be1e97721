#!/bin/bash
# Provisions a private runc 1.3.6 (Debian unstable, "sid") under /opt/ocirun/runc13,
# a reference runtime newer than bookworm's runc 1.1.5 (which stays the system's).
# sid's runc needs sid's glibc (GLIBC_2.38), so sid's libc6 goes into the private
# prefix too and the binary itself is patched (patchelf) to use that prefix's
# ld.so and libraries: a wrapper running the loader explicitly is not enough,
# because runc re-executes /proc/self/exe (`runc init`), which would then be the
# loader. The system libc is never touched, and the sid source exists only in a
# temporary apt configuration (scripts/sid-download.sh): nothing of it stays.
# Verified by running a busybox bundle. Removal: rm -rf /opt/ocirun/runc13
# (`make uninstall` already removes all of /opt/ocirun).
set -euo pipefail
prefix=/opt/ocirun/runc13
want=1.3.6
here=$(cd "$(dirname "$0")" && pwd)
# "runc version 1.3.6+ds1": Debian's +ds1 (repacked source) is not part of the version.
version() { "$1" --version 2>/dev/null | awk '/^runc version/{sub(/\+.*/,"",$3); print $3}'; }
if [[ $(version "$prefix/runc") == "$want" ]]; then
  echo "runc13: $want already at $prefix"; exit 0
fi

# patchelf to point the binary at the prefix; busybox-static only if a test
# rootfs has to be built from scratch (no build/rootfs).
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

# runc links only libc.so.6 and libseccomp.so.2 (ldd). bookworm's libc 2.36 is
# too old; bookworm's libseccomp 2.5.4 would load, but sid's 2.6.1 is what this
# runc was built against and knows the newer syscalls a seccomp profile may name.
pkgs=(runc libc6 libseccomp2)
apt_state() { ls -lA /etc/apt/sources.list.d /etc/apt/preferences.d; }
before=$(apt_state)
tmp=$(mktemp -d)
installed=0
# A failed install leaves no prefix behind (the next run starts over).
trap 'rm -rf "$tmp"; ((installed)) || rm -rf "$prefix"' EXIT
"$here/sid-download.sh" "$tmp/debs" "${pkgs[@]}"
[[ $(apt_state) == "$before" ]] || { echo "runc13: /etc/apt changed during download" >&2; exit 1; }

rm -rf "$prefix"; mkdir -p "$prefix"
for d in "$tmp"/debs/*.deb; do dpkg -x "$d" "$prefix"; done
lib=$prefix/usr/lib/x86_64-linux-gnu
loader=$prefix/usr/lib64/ld-linux-x86-64.so.2
# Every dynamically linked binary of the package (runc, recvtty, ...): sid's
# loader, and a DT_RPATH (--force-rpath; unlike RUNPATH it also covers the
# libraries' own dependencies, e.g. libseccomp's libc) with the prefix first.
for b in "$prefix"/usr/sbin/*; do
  readelf -l "$b" 2>/dev/null | grep -q 'program interpreter' || continue
  patchelf --set-interpreter "$loader" --force-rpath \
    --set-rpath "$lib:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" "$b"
done
ln -sfn usr/sbin/runc "$prefix/runc"

# ldd through the prefix's loader: nothing missing, no symbol version too new
# for what was found (both say "not found"), libc and libseccomp from the prefix.
libs=$("$loader" --list "$prefix/usr/sbin/runc" 2>&1) || true
if grep 'not found' <<<"$libs" >&2; then echo "runc13: unresolved libraries" >&2; exit 1; fi
for so in libc.so.6 libseccomp.so.2; do
  grep -q "$so => $lib/" <<<"$libs" || { echo "runc13: $so not from $prefix:" >&2; echo "$libs" >&2; exit 1; }
done
v=$(version "$prefix/runc") || true
[[ $v == "$want" ]] || { echo "runc13: got version '$v', want $want" >&2; "$prefix/runc" --version >&2 || true; exit 1; }
"$prefix/runc" features | grep -q '"ociVersionMax"' || { echo "runc13: 'runc features' failed" >&2; exit 1; }

# Run a container: busybox bundle, `echo hi`, private state dir and a cgroup
# path of its own (so cleaning it up can't touch anyone else's).
r13=$prefix/runc root=/tmp/r13root bundle=$tmp/bundle cg=ocirun-runc13-check-$$
cleanup_run() {
  "$r13" --root "$root" delete -f t1 >/dev/null 2>&1 || true
  rm -rf "$root"
  find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -depth -type d -name "$cg" -exec rmdir {} + 2>/dev/null || true
}
trap 'cleanup_run; rm -rf "$tmp"; ((installed)) || rm -rf "$prefix"' EXIT
cleanup_run
mkdir -p "$bundle"
if [[ -d $here/../build/rootfs ]]; then cp -a "$here/../build/rootfs" "$bundle/rootfs"
else "$here/rootfs.sh" "$bundle/rootfs" >/dev/null; fi
(cd "$bundle" && "$r13" spec)
# `runc spec` writes an interactive `sh`: make it `echo hi` without a terminal.
sed -i -e 's/"terminal": true/"terminal": false/' \
  -e '/^\t\t"args": \[/,/^\t\t\],/c\\t\t"args": ["/bin/echo", "hi"],' \
  -e "s|^\t\"linux\": {|\t\"linux\": {\n\t\t\"cgroupsPath\": \"/$cg\",|" "$bundle/config.json"
for k in '"terminal": false' '"args": ["/bin/echo", "hi"]' "\"cgroupsPath\": \"/$cg\""; do
  grep -qF "$k" "$bundle/config.json" || { echo "runc13: could not set $k in config.json" >&2; exit 1; }
done
out=$("$r13" --root "$root" run --bundle "$bundle" t1 </dev/null 2>"$tmp/run.err") || true
if [[ $out != hi ]]; then
  echo "runc13: container printed '$out', want 'hi'" >&2; cat "$tmp/run.err" >&2; exit 1
fi
installed=1
echo "runc13: $v installed at $prefix/runc"
