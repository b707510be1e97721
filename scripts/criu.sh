#!/bin/bash
# Provisions a private CRIU 4.2.1 (Debian unstable, "sid") under /opt/ocirun/criu.
# bookworm's criu 3.17 fails on this kernel (6.x: vDSO layout); trixie's 4.1.1
# works except that it cannot dump any TCP socket on Linux >= 6.16 (SO_PASSCRED
# is refused on inet sockets; fixed in CRIU 4.2), which --tcp-established needs.
# sid's criu needs sid's glibc, so its libc6 goes into the private prefix too and
# criu runs through that prefix's ld.so with --library-path (not LD_LIBRARY_PATH,
# so the helpers criu execs keep using the system's libc). The system libc is
# never touched: the sid source exists only in a temporary apt configuration
# (scripts/sid-download.sh) used for `apt-get download`, and nothing of it stays.
#
# What CRIU execs at run time (all system packages, see scripts/deps.sh):
#  - iptables-restore/ip6tables-restore (iptables) for the default network lock,
#    libnftables (nftables) for --network-lock nftables;
#  - ip (iproute2) to save/restore addresses/routes/rules of dumped netns,
#    iptables-save/nft for their firewall rules;
#  - tar for the contents of tmpfs mounts in the dumped mount namespace.
# Lazy pages (--lazy-pages) additionally need `sysctl -w fs.pipe-max-size=4194304`
# (not done here).
set -euo pipefail
# Earlier versions of this script left a pinned sid source behind: removed.
rm -f /etc/apt/sources.list.d/ocirun-sid.sources /etc/apt/preferences.d/ocirun-sid \
  /etc/apt/sources.list.d/ocirun-trixie.sources /etc/apt/preferences.d/ocirun-trixie
prefix=/opt/ocirun/criu
want=4.2.1
have() { [[ $("$1" --version 2>/dev/null | awk '/^Version/{print $2}') == "$want" ]]; }
if have /usr/local/sbin/criu && have "$prefix/criu"; then
  echo "criu: $("$prefix/criu" --version | awk '/^Version/{print $2}') already at $prefix"; exit 0
fi

# bookworm packages the sid criu links against whose bookworm versions are
# fine (used from /lib): libbsd0 libuuid1 libnftables1 (+ its deps).
export DEBIAN_FRONTEND=noninteractive
need=()
for p in libbsd0 libuuid1 libnftables1; do
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || need+=("$p")
done
if ((${#need[@]})); then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# criu + libcompel1, sid's libc6, and the libraries whose bookworm versions
# are too old or have another soname: gnutls 3.8 (libgnutls30t64) with its
# nettle/hogweed 3.10, gmp 6.3, p11-kit, libunistring5, libnet9; libnl-3 and
# libprotobuf-c1 are taken from sid too so no extra system packages are needed.
pkgs=(criu libcompel1 libc6 libgnutls30t64 libnettle8t64 libhogweed6t64 libgmp10
      libp11-kit0 libunistring5 libnet9 libnl-3-200 libprotobuf-c1)
"$(dirname "$0")/sid-download.sh" "$tmp/debs" "${pkgs[@]}"
rm -rf "$prefix"; mkdir -p "$prefix"
for d in "$tmp"/debs/*.deb; do dpkg -x "$d" "$prefix"; done

lib=$prefix/usr/lib/x86_64-linux-gnu
wrapper="#!/bin/sh
# private CRIU $want from Debian sid, run with sid's glibc (scripts/criu.sh)
exec $prefix/usr/lib64/ld-linux-x86-64.so.2 --library-path $lib:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu $prefix/usr/sbin/criu \"\$@\""
for w in "$prefix/criu" /usr/local/sbin/criu; do printf '%s\n' "$wrapper" >"$w"; chmod 755 "$w"; done

if "$prefix/usr/lib64/ld-linux-x86-64.so.2" --library-path "$lib:/lib/x86_64-linux-gnu" --list "$prefix/usr/sbin/criu" | grep 'not found'; then
  echo "criu: unresolved libraries" >&2; exit 1
fi
v=$(/usr/local/sbin/criu --version | awk '/^Version/{print $2}')
[[ $v == "$want" ]] || { echo "criu: got version '$v', want $want" >&2; exit 1; }
echo "criu: $v installed at $prefix ($(/usr/local/sbin/criu check 2>&1 | tail -1))"
