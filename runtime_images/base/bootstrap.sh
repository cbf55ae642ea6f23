#!/usr/bin/env bash
# Make a Debian base image with Python from the Debian archive, for hosts with no registry.
# Usage: bootstrap.sh SUITE TAG [MIRROR]
# Prints "progress: N/M what" lines that spacehost turns into a progress display.
set -euo pipefail
suite=${1:?usage: bootstrap.sh SUITE TAG [MIRROR]}
tag=${2:?usage: bootstrap.sh SUITE TAG [MIRROR]}
mirror=${3:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "debootstrap is not installed: apt-get install -y debootstrap" >&2; exit 3; }
root=$(mktemp -d /var/tmp/spacehost-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "progress: 1/3 debootstrap $suite from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
echo "progress: 2/3 trimming"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
       "$root"/usr/share/man/* "$root"/usr/share/locale/*
echo "progress: 3/3 docker import $tag"
tar -C "$root" -c . | docker import \
  -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["/bin/bash"]' \
  --message "spacehost base: debian $suite + python3" - "$tag" >/dev/null
echo "progress: done $tag"
