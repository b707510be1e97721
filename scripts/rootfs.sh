#!/bin/bash
# Builds a minimal busybox rootfs directory at DEST for test containers, from
# Debian's busybox-static (statically linked, so no libs needed in the rootfs).
# Idempotent: does nothing if DEST/bin/busybox already exists.
set -euo pipefail
dest=${1:?usage: rootfs.sh DEST}
bb=/bin/busybox
[[ -x $bb ]] || { echo "rootfs: $bb missing (run scripts/deps.sh)" >&2; exit 1; }
if [[ -x $dest/bin/busybox ]]; then echo "rootfs: $dest already built"; exit 0; fi

mkdir -p "$dest"/{bin,proc,sys,dev,tmp,etc,root,run,var,home/user}
chmod 1777 "$dest/tmp"
chmod 700 "$dest/root"
cp "$bb" "$dest/bin/busybox"
# Our own `busybox --install -s`: one relative symlink per applet, all in /bin
# (so PATH=/bin is enough inside the container).
n=0
while read -r applet; do
  [[ $applet == busybox ]] && continue
  ln -sfn busybox "$dest/bin/$applet"; n=$((n + 1))
done < <("$bb" --list)
# Some tests and runtimes exec /usr/bin/env or /bin/sh; keep /usr/bin and /sbin
# resolvable via symlinks to /bin.
mkdir -p "$dest/usr"
ln -sfn ../bin "$dest/usr/bin"
ln -sfn bin "$dest/sbin"
ln -sfn ../bin "$dest/usr/sbin"

cat >"$dest/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$dest/etc/group" <<'G'
root:x:0:
user:x:1000:
nogroup:x:65534:
G
echo ocirun >"$dest/etc/hostname"
chown 1000:1000 "$dest/home/user"
echo "rootfs: built $dest ($n applets)"
