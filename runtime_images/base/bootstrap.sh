#!/usr/bin/env bash
# Make a Debian base image with Python from the Debian archive, for hosts with no registry.
# Usage: bootstrap.sh SUITE TAG [MIRROR]
# Prints "progress: N/M what" lines that spacehost turns into a progress display (debootstrap's
# own "I: ..." lines become "progress: 1/3 ..." lines, so a slow mirror still shows movement).
# Exit codes: 1 debootstrap or docker import failed, 2 usage, 3 a prerequisite is missing.
set -euo pipefail
usage="usage: bootstrap.sh SUITE TAG [MIRROR]"
suite=${1:?$usage}
tag=${2:?$usage}
mirror=${3:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "debootstrap is not installed: apt-get install -y debootstrap" >&2; exit 3; }
command -v docker >/dev/null || { echo "the docker CLI is not installed" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "bootstrap.sh must run as root (debootstrap needs it)" >&2; exit 3; }
root=$(mktemp -d /var/tmp/spacehost-rootfs.XXXXXX)
log="$root.log"
trap 'rm -rf "$root" "$log"' EXIT
echo "progress: 1/3 debootstrap $suite from $mirror"
if ! debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "$suite" "$root" "$mirror" 2>&1 | while IFS= read -r line; do
      printf '%s\n' "$line" >>"$log"
      case $line in "I: "*) echo "progress: 1/3 ${line#I: }" ;; esac
    done; then
  tail -20 "$log" >&2
  exit 1
fi
echo "progress: 2/3 trimming"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
       "$root"/usr/share/man/* "$root"/usr/share/locale/*
echo "progress: 3/3 docker import $tag"
tar -C "$root" -c . | docker import \
  -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "LABEL spacehost.managed=true spacehost.kind=base spacehost.suite=$suite" \
  -c 'CMD ["/bin/bash"]' \
  --message "spacehost base: debian $suite + python3" - "$tag" >/dev/null
echo "progress: done $tag"
