#!/usr/bin/env bash
# The main job: the broadcast-vs-queue comparison demo on the embedded memory:// transport.
# Installs the build dependencies when missing, builds, and runs `celery-demo` with any
# arguments given (default: all scenarios on memory://).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
ensure_build_deps
swift build --product celery-demo
exec .build/debug/celery-demo "$@"
