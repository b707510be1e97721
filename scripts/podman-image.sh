#!/bin/bash
# Imports the busybox rootfs (scripts/rootfs.sh) into Podman as
# localhost/busybox:latest, for comparison tests against podman. Idempotent.
set -euo pipefail
dest=${1:?usage: podman-image.sh ROOTFS_DIR}
img=localhost/busybox:latest
if podman image exists "$img"; then echo "podman-image: $img present"; exit 0; fi
"$(dirname "$0")/rootfs.sh" "$dest" >/dev/null
id=$(tar -C "$dest" -c . | podman import -q - "$img"); id=${id#sha256:}
echo "podman-image: imported $img (${id:0:12})"
