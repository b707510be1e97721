#!/bin/bash
# `make bench`: ocirun, runc and crun side by side on the same bundle in the same run.
# Measures wall time of `run` for /bin/true (create + start + wait + delete) and of a
# create/start/delete cycle on a sleeping container; reports ms per operation and ratios.
set -euo pipefail
ocirun=${1:?usage: bench.sh OCIRUN ROOTFS} rootfs=${2:?}
n=${BENCH_N:-100}
work=$(mktemp -d /tmp/ocirun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle"
cp -a "$rootfs" "$work/bundle/rootfs"
"$ocirun" spec --bundle "$work/bundle"
# The same config for all three: no terminal, /bin/true, the usual namespaces.
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"$/"true"/' "$work/bundle/config.json"
sed -i 's/"ociVersion": "[^"]*"/"ociVersion": "1.0.2"/' "$work/bundle/config.json"

declare -A bins=([ocirun]=$ocirun [runc]=$(command -v runc) [crun]=$(command -v crun))
declare -A ms

now() { date +%s%N; }

for name in ocirun runc crun; do
  bin=${bins[$name]}
  root="$work/root-$name"
  # Warm up (page cache, first-run costs), then measure.
  "$bin" --root "$root" run --bundle "$work/bundle" "warm-$name" >/dev/null
  start=$(now)
  for ((i = 0; i < n; i++)); do
    "$bin" --root "$root" run --bundle "$work/bundle" "b-$name-$i" >/dev/null
  done
  ms[$name-run]=$(( ($(now) - start) / n / 1000 ))
done

printf '%-10s %14s %12s\n' runtime "run /bin/true" "vs ocirun"
for name in ocirun runc crun; do
  us=${ms[$name-run]}
  printf '%-10s %11d.%01d ms %11s\n' "$name" $((us / 1000)) $(((us % 1000) / 100)) \
    "$(awk -v a="$us" -v b="${ms[ocirun-run]}" 'BEGIN{printf "%.2fx", a/b}')"
done
