#!/usr/bin/env bash
# Set up and run the platform with the example spaces, in the foreground (Ctrl-C stops it;
# running spaces keep running and are adopted on the next start).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/spacehost prepare
export PATH="$PWD/.venv/bin:$PATH"
port=${SPACEHOST_PORT:-8000}
spacehost up --port "$port" &
up=$!
trap 'kill -INT $up 2>/dev/null; wait $up 2>/dev/null' EXIT INT TERM  # SIGINT: the router stops too
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
  kill -0 $up 2>/dev/null || exit 1
  sleep 0.5
done
export SPACEHOST_URL="http://127.0.0.1:$port"
for space in hello chatbot image-filter docker-app static-page semantic-search sentiment dataset-viewer zero-demo; do
  spacehost push "spaces/$space" --name "examples/$space" || echo "demo: $space did not start (see above)"
done
echo
spacehost ls
echo
echo "Gallery: http://127.0.0.1:$port/   (Ctrl-C to stop)"
wait $up
