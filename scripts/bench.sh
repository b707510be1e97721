#!/bin/bash
# `make bench`: ocirun, runc and crun side by side on the same bundle in the same run.
# Measures the wall time of `run` for /bin/true (create + start + wait + delete). The three
# runtimes take turns, one run each per round, so that a change in the machine's load hits
# all of them alike; the median per runtime is reported, with the ratio to ocirun's.
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

names=(ocirun runc crun)
declare -A bins=([ocirun]=$ocirun [runc]=$(command -v runc) [crun]=$(command -v crun))

# Microseconds from bash's own clock: no fork per sample.
us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }

for name in "${names[@]}"; do
  # Warm up: page cache, first-run costs.
  "${bins[$name]}" --root "$work/root-$name" run --bundle "$work/bundle" "warm-$name" >/dev/null
done
for ((i = 0; i < n; i++)); do
  for name in "${names[@]}"; do
    start=$(us)
    "${bins[$name]}" --root "$work/root-$name" run --bundle "$work/bundle" "b-$name-$i" >/dev/null
    echo $(($(us) - start)) >>"$work/$name.samples"
  done
done

median() { sort -n "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
declare -A med
for name in "${names[@]}"; do
  med[$name]=$(median "$work/$name.samples")
done
printf '%-10s %22s %12s\n' runtime "run /bin/true, median" "vs ocirun"
for name in "${names[@]}"; do
  v=${med[$name]}
  printf '%-10s %19d.%01d ms %11s\n' "$name" $((v / 1000)) $(((v % 1000) / 100)) \
    "$(awk -v a="$v" -v b="${med[ocirun]}" 'BEGIN{printf "%.2fx", a/b}')"
done
echo "($n rounds; a ratio above 1 means slower than ocirun)"
