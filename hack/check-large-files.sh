#!/usr/bin/env bash
# Fails when a tracked file is larger than 5 MB: build outputs and binaries never belong in the repository
# (a 79 MB binary once did). Run by `make test` through `make lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=$((5 * 1024 * 1024))
bad=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  size=$(stat -c %s "$f")
  if [ "$size" -gt "$limit" ]; then
    echo "tracked file over 5 MB: $f ($size bytes)" >&2
    bad=1
  fi
done < <(git ls-files -z)
exit "$bad"
