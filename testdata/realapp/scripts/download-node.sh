#!/usr/bin/env bash
# The app's old Node download script (replaced by `nizepack fetch-node`).
set -euo pipefail
source "$(dirname "$0")/node-version.env"
echo "would download node v$NODE_VERSION" >&2
exit 1
