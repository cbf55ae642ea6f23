#!/usr/bin/env bash
# Set up everything spacehost needs on a Debian/Ubuntu host (run as root, or with sudo for apt):
# Docker Engine (started in the background when no systemd runs it), debootstrap, Debian's
# docker-registry (a cluster's registry), Chromium for
# the browser tests, nginx and wrk for benchmarks, and a venv with spacehost installed.
# Idempotent: re-running it only does what is missing.   Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=${1:-}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
# the registry spacehost starts for a cluster when none is configured (runtime/registry_server.py)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
if [ "$want_test" = --test ]; then
  command -v chromium >/dev/null || need+=(chromium)
  # git's LFS client for the git protocol tests (tests/integration/api/test_git_protocol.py)
  command -v git-lfs >/dev/null || need+=(git-lfs)
  # the live test cluster (tests/support/swarm_cluster.py): network namespaces, veths, a bridge
  command -v ip >/dev/null || need+=(iproute2)
  command -v nginx >/dev/null || need+=(nginx-light)
  command -v wrk >/dev/null || need+=(wrk)
  # emoji in screenshots of pages (space cards use them)
  [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting the Docker Engine"
  ($SUDO setsid dockerd >/var/log/spacehost-dockerd.log 2>&1 &) || true
  for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/spacehost-dockerd.log" >&2; exit 1; }
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
# The [test] extra brings transformers and sentence-transformers, which need torch: a CPU-only
# torch wheel in pip's find-links (e.g. /opt/wheels/torch-2.x+cpu-cp311-...whl) goes in first, so
# pip never pulls the multi-GiB CUDA build from the index.
if [ "$want_test" = --test ] && ! .venv/bin/python -c "import torch" 2>/dev/null; then
  py=$(.venv/bin/python -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  links="${PIP_FIND_LINKS:-} $(.venv/bin/pip config list 2>/dev/null | sed -n "s/^[^=]*find-links='\(.*\)'$/\1/p")"
  wheel=""
  for dir in $links; do
    dir=${dir#file://}
    found=$(ls "$dir"/torch-*+cpu-"$py"-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$found" ] && { wheel=$found; break; }
  done
  if [ -n "$wheel" ]; then
    echo "setup: installing the CPU-only torch wheel $(basename "$wheel")"
    .venv/bin/pip install -q "$wheel" 2>&1 | grep -v -e '^WARNING: Location' -e 'is ignored' || true
  fi
fi
extra=""; [ "$want_test" = --test ] && extra="[test]"
.venv/bin/pip install -q -e ".$extra" 2>&1 | grep -v -e '^WARNING: Location' -e 'is ignored' || true
.venv/bin/python -c "import spacehost" || { echo "setup: spacehost did not install" >&2; exit 1; }
echo "setup: ready (docker $(docker version --format '{{.Server.Version}}'), $(.venv/bin/python --version))"
