#!/bin/bash
# Runs one xunit project and prints a closing "N passed, N failed, N skipped" line
# (summed from its TRX report) so CI logs say plainly how many tests ran. Failed tests
# are repeated at the very end with their messages: CI often keeps only a log's tail.
set -euo pipefail
name=$1 project=$2
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# The test platform leaves empty mkdtemp dirs in $TMPDIR on every run; give it its own.
export TMPDIR=$results/tmp
mkdir "$TMPDIR"
status=0
dotnet test "$project" -c Release --nologo -v quiet --logger "trx;LogFileName=$name.trx" \
  --logger "console;verbosity=normal" --results-directory "$results" || status=$?
trx="$results/$name.trx"
if [[ -f $trx ]]; then
  python3 - "$trx" <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
root = ET.parse(sys.argv[1]).getroot()
for r in root.iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
    msg = r.findtext(".//t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
    stack = r.findtext(".//t:ErrorInfo/t:StackTrace", default="", namespaces=ns).strip()
    print(f"FAILED {r.get('testName')}\n  " + "\n  ".join((msg[:3000] + "\n" + stack[:1500]).splitlines()))
PY
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$counters"; }
  total=$(get total) passed=$(get passed) failed=$(get failed)
  echo "$name: $passed passed, $failed failed, $((total - passed - failed)) skipped"
fi
exit $status
