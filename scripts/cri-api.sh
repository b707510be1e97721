#!/bin/bash
# Puts the CRI's protocol (k8s.io/cri-api runtime/v1 api.proto, the one the kubelet speaks to
# containerd and CRI-O) at DEST for the end-to-end tests' gRPC client. Debian has it only in
# unstable (golang-github-kubernetes-cri-api-dev), so the .deb is fetched the way the private
# CRIU is (scripts/sid-download.sh: a temporary apt configuration, nothing of it stays) and only
# the .proto is kept. Its gogoproto import and options (Go code generation only) are dropped:
# they do not change a message or a field number. Idempotent.
set -euo pipefail
dest=${1:?usage: cri-api.sh DEST_PROTO}
[[ -s $dest ]] && exit 0
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/sid-download.sh" "$tmp" golang-github-kubernetes-cri-api-dev
dpkg-deb -x "$tmp"/golang-github-kubernetes-cri-api-dev_*.deb "$tmp/x"
mkdir -p "$(dirname "$dest")"
# The C# namespace is named so that "Runtime" (from package runtime.v1) clashes with nothing.
grep -v -e '^import "github.com/gogo/protobuf/gogoproto/gogo.proto";' -e '^option (gogoproto\.' \
  "$tmp/x/usr/share/gocode/src/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto" \
  | sed 's/^package runtime.v1;/&\noption csharp_namespace = "Cri.V1";/' > "$dest.tmp"
mv "$dest.tmp" "$dest"
echo "cri-api: $(dpkg-deb -f "$tmp"/golang-github-kubernetes-cri-api-dev_*.deb Version) at $dest"
