#!/usr/bin/env bash
# Builds promtool (Prometheus's rule checker and rule unit-test runner) from the Go module proxy, because
# nothing prebuilt can be downloaded. It is built in a throwaway module of its own so the product's go.mod
# never moves. The binary is cached in a folder keyed by version and reused when present; the script prints
# the binary's path on stdout and logs on stderr.
set -euo pipefail

PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-0.316.0}"
CACHE_ROOT="${WUKONG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wukong}"
DIR="${PROMTOOL_DIR:-$CACHE_ROOT/promtool-v${PROMETHEUS_VERSION}}"
BIN="$DIR/promtool"

if [ -f "$BIN" ] && [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log() { echo "promtool: $*" >&2; }

(
  cd "$work"
  printf 'module wukong.local/promtool\n\ngo 1.26\n' > go.mod
  log "resolving github.com/prometheus/prometheus v${PROMETHEUS_VERSION}"
  GOFLAGS=-mod=mod go get "github.com/prometheus/prometheus/cmd/promtool@v${PROMETHEUS_VERSION}" >&2
  log "building promtool v${PROMETHEUS_VERSION} (several minutes when cold)"
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$work/promtool.bin" github.com/prometheus/prometheus/cmd/promtool >&2
  # Build to a temporary name and move, so an interrupted build never leaves a half-written binary behind.
  mv "$work/promtool.bin" "$BIN"
)

[ -x "$BIN" ]
echo "$BIN"
