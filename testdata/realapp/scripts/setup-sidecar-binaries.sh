#!/usr/bin/env bash
# The app's old sidecar script (replaced by `nizepack sidecars` and `nizepack fetch-node`).
set -euo pipefail
profile="${1:-debug}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin=crates/app/nize_desktop/binaries
mkdir -p "$bin"
for name in nize_api_server nize_terminator; do
  cp "target/$profile/$name" "$bin/$name-$triple"
done
bash scripts/download-node.sh
