#!/bin/bash
# Runs one xunit project and prints a closing "N passed, N failed, N skipped" line
# (summed from its TRX report) so CI logs say plainly how many tests ran.
set -euo pipefail
name=$1 project=$2
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
dotnet test "$project" -c Release --nologo -v quiet --logger "trx;LogFileName=$name.trx" \
  --logger "console;verbosity=normal" --results-directory "$results" || status=$?
trx="$results/$name.trx"
if [[ -f $trx ]]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$counters"; }
  total=$(get total) passed=$(get passed) failed=$(get failed)
  echo "$name: $passed passed, $failed failed, $((total - passed - failed)) skipped"
fi
exit $status
