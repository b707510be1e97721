#!/bin/bash
# Downloads Debian unstable ("sid") .debs without touching the system's apt
# state: the sid source exists only in a temporary apt configuration (its own
# sources, lists and cache under a temp dir), derived from this machine's own
# main Debian entry (same URI and keyring), and nothing of it stays.
# Prints nothing but errors.
#
#   scripts/sid-download.sh DEST PKG...      # run it, or
#   . scripts/sid-download.sh; sid_download DEST PKG...
#
# DEST gets PKG_VERSION_ARCH.deb for each PKG (dependencies are not resolved:
# name every package wanted).

# A subshell body, so its EXIT trap and variables never leak into a sourcing script.
sid_download() (
  set -euo pipefail
  local dest=${1:?usage: sid-download.sh DEST PKG...}; shift
  (($#)) || { echo "sid-download: no packages given" >&2; return 2; }
  mkdir -p "$dest"; dest=$(cd "$dest" && pwd)

  . /etc/os-release
  local src
  src=$(if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    # deb822: first "Types: deb" stanza whose Suites list the release codename.
    awk -v cn="$VERSION_CODENAME" 'BEGIN{RS="";FS="\n"}
      { u=s=k=t=""
        for (i=1;i<=NF;i++) { if ($i ~ /^#/) continue
          key=tolower(substr($i,1,index($i,":")-1)); v=substr($i,index($i,":")+1); gsub(/^[ \t]+|[ \t]+$/,"",v)
          if (key=="uris") u=v; else if (key=="suites") s=v; else if (key=="signed-by") k=v; else if (key=="types") t=v }
        n=split(s,a,/[ \t]+/); for (j=1;j<=n;j++) if (a[j]==cn && t ~ /(^| )deb( |$)/) { print u "|" k; exit } }' \
      /etc/apt/sources.list.d/debian.sources
  elif [[ -f /etc/apt/sources.list ]]; then
    # one-line format: deb [signed-by=K ...] URI codename components
    awk -v cn="$VERSION_CODENAME" '$1=="deb" { k=""; i=2
        if ($2 ~ /^\[/) { for (; i<=NF; i++) { if ($i ~ /signed-by=/) { k=$i; sub(/.*signed-by=/,"",k); sub(/\]$/,"",k) } if ($i ~ /\]$/) break } i++ }
        if ($(i+1)==cn) { print $i "|" k; exit } }' /etc/apt/sources.list
  fi)
  local uris=${src%%|*} keyring=${src#*|}
  [[ -n $uris ]] || { echo "sid-download: no Debian '$VERSION_CODENAME' source found" >&2; return 1; }

  local tmp; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/sources" "$tmp/prefs" "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
  { echo "Types: deb"; echo "URIs: $uris"; echo "Suites: sid"; echo "Components: main"
    [[ -n $keyring ]] && echo "Signed-By: $keyring"; } >"$tmp/sources/ocirun-sid.sources"
  # apt downloads as the _apt user; it must be able to write where it downloads.
  chmod 755 "$tmp"; chown -R _apt "$tmp" 2>/dev/null || true
  # Only the sid source, with lists, cache and (no) pins of its own.
  local apt_tmp=(-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$tmp/sources"
                 -o Dir::State::Lists="$tmp/lists" -o Dir::Cache="$tmp/cache"
                 -o Dir::Etc::preferences=/dev/null -o Dir::Etc::preferencesparts="$tmp/prefs")
  # -qq still lets apt print progress lines on some errors: keep its output for failures only.
  local log=$tmp/log
  if ! { apt-get "${apt_tmp[@]}" update -qq && (cd "$tmp/debs" && apt-get "${apt_tmp[@]}" download -qq "$@"); } >"$log" 2>&1; then
    cat "$log" >&2; echo "sid-download: failed for: $*" >&2; return 1
  fi
  grep -E '^(W|E):' "$log" >&2 || true
  chown root: "$tmp"/debs/*.deb; mv "$tmp"/debs/*.deb "$dest"/
)

# Run as a script (not sourced): download what the arguments say.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then set -euo pipefail; sid_download "$@"; fi
