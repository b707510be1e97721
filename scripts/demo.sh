#!/bin/bash
# `make demo`: a busybox container through ocirun's lifecycle, each command printed with
# what it showed. Cleans up after itself.
set -euo pipefail
ocirun=${1:?usage: demo.sh OCIRUN ROOTFS} rootfs=${2:?}
work=$(mktemp -d /tmp/ocirun-demo.XXXXXX)
root="$work/state"
cleanup() { "$ocirun" --root "$root" delete --force demo >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

show() { printf '\n$ %s\n' "$*"; "$@"; }

mkdir -p "$work/bundle"
cp -a "$rootfs" "$work/bundle/rootfs"
show "$ocirun" spec --bundle "$work/bundle"
# A counter instead of an interactive shell.
sed -i -e 's/"terminal": true/"terminal": false/' \
  -e 's|"sh"$|"sh", "-c", "i=0; while true; do echo $i; i=$((i+1)); sleep 1; done"|' "$work/bundle/config.json"
# The container inherits create's stdout: send it to a file we show later.
printf '\n$ %s\n' "$ocirun --root $root create --bundle $work/bundle --pid-file $work/pid demo > $work/out"
"$ocirun" --root "$root" create --bundle "$work/bundle" --pid-file "$work/pid" demo >"$work/out" 2>&1
show "$ocirun" --root "$root" state demo; echo
show cat "$work/pid"; echo
show "$ocirun" --root "$root" start demo
sleep 3
show "$ocirun" --root "$root" list
show "$ocirun" --root "$root" ps demo
show cat "$work/out"
show "$ocirun" --root "$root" kill demo KILL
sleep 0.2
show "$ocirun" --root "$root" state demo; echo
show "$ocirun" --root "$root" delete demo
show "$ocirun" --root "$root" list
