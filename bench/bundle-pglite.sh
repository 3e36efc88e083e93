#!/usr/bin/env bash
# Benchmark of `nizepack bundle-pglite` and of the server it bundles. Measured, not asserted.
#
#   1. nizepack bundle-pglite --force  vs  `npx esbuild` with the same options (bundle, ESM,
#      platform node, target node<pinned major>) plus copying the four assets by hand, the shell
#      script nizepack replaces; alternating runs, medians and the ratio.
#   2. nizepack bundle-pglite on unchanged inputs (the "up to date" path).
#   3. The bundled server with the system node: start to the {"port": N} line on a fresh and on
#      an existing data dir, and its idle RSS.
#
# Needs: go, node, npm (npx fetches esbuild from the npm registry once), testdata/app installed
# (`npm ci` in testdata/app). Usage: bash bench/bundle-pglite.sh [RUNS] (default 7).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-7}"
APP="$PWD/testdata/app"
OUT="$PWD/bench/out/bundle-pglite"
ESBUILD_VERSION=$(go list -m -f '{{.Version}}' github.com/evanw/esbuild | sed 's/^v//')
NODE_MAJOR=$(sed -n 's/^NODE_VERSION=\([0-9]*\)\..*/\1/p' versions.env)

[ -d "$APP/node_modules/@electric-sql/pglite-socket" ] || { echo "run npm ci in testdata/app first" >&2; exit 1; }
rm -rf "$OUT" && mkdir -p "$OUT"
go build -o "$OUT/nizepack" ./cmd/nizepack

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

run_nizepack() {
	"$OUT/nizepack" bundle-pglite --package-dir "$APP" --out "$OUT/nizepack-out" --no-seed --force -q >/dev/null
}
DIST="$APP/node_modules/@electric-sql"
run_npx() {
	rm -rf "$OUT/npx-out" && mkdir -p "$OUT/npx-out"
	NODE_PATH="$APP/node_modules" npx --yes "esbuild@$ESBUILD_VERSION" bundle/pglite-server.mjs \
		--bundle --platform=node --format=esm "--target=node$NODE_MAJOR" \
		--outfile="$OUT/npx-out/pglite-server.mjs" --log-level=error
	cp "$DIST/pglite/dist/pglite.wasm" "$DIST/pglite/dist/pglite.data" "$DIST/pglite/dist/initdb.wasm" \
		"$DIST/pglite-pgvector/dist/vector.tar.gz" "$OUT/npx-out/"
}

echo "== bundling: nizepack (esbuild $ESBUILD_VERSION in process) vs npx esbuild@$ESBUILD_VERSION + cp, $RUNS runs each, alternating"
run_nizepack; run_npx # warm-up: npx fetches esbuild into its cache, page cache warms
: >"$OUT/t-nizepack"; : >"$OUT/t-npx"; : >"$OUT/t-uptodate"
for _ in $(seq "$RUNS"); do
	t0=$(now); run_nizepack; t1=$(now); ms "$t0" "$t1" >>"$OUT/t-nizepack"
	t0=$(now); run_npx; t1=$(now); ms "$t0" "$t1" >>"$OUT/t-npx"
done
for _ in $(seq "$RUNS"); do
	t0=$(now)
	"$OUT/nizepack" bundle-pglite --package-dir "$APP" --out "$OUT/nizepack-out" --no-seed -q | grep -q 'up to date'
	t1=$(now); ms "$t0" "$t1" >>"$OUT/t-uptodate"
done
N=$(median <"$OUT/t-nizepack"); X=$(median <"$OUT/t-npx"); U=$(median <"$OUT/t-uptodate")
echo "nizepack bundle-pglite --force: median ${N} ms   (runs: $(tr '\n' ' ' <"$OUT/t-nizepack"))"
echo "npx esbuild + cp:               median ${X} ms   (runs: $(tr '\n' ' ' <"$OUT/t-npx"))"
echo "ratio npx/nizepack:             $(awk -v a="$X" -v b="$N" 'BEGIN {printf "%.1fx", a/b}')"
echo "nizepack up to date:            median ${U} ms   (runs: $(tr '\n' ' ' <"$OUT/t-uptodate"))"
echo "bundle size: nizepack $(stat -c %s "$OUT/nizepack-out/pglite-server.mjs") B, npx esbuild $(stat -c %s "$OUT/npx-out/pglite-server.mjs") B"

# The server: copy the bundle where no node_modules is above it.
RUN=$(mktemp -d)
trap 'rm -rf "$RUN"' EXIT
cp -r "$OUT/nizepack-out" "$RUN/pglite"
start_server() { # DATA_DIR -> prints "ms rss_kib"; leaves nothing running
	local t0 t1 line pid rss
	t0=$(now)
	coproc SRV { exec node "$RUN/pglite/pglite-server.mjs" --db="$1" --database=nize 2>/dev/null; }
	pid=$SRV_PID
	read -r line <&"${SRV[0]}"
	t1=$(now)
	[[ "$line" == '{"port": '* ]] || { echo "no port line: $line" >&2; kill "$pid"; return 1; }
	sleep 2
	rss=$(ps -o rss= -p "$pid" | tr -d ' ')
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	echo "$(ms "$t0" "$t1") $rss"
}
SRUNS=$(( RUNS < 3 ? RUNS : 3 ))
echo
echo "== server (node $(node --version)): start to the port line, idle RSS 2 s after it"
: >"$OUT/t-fresh"; : >"$OUT/t-existing"; : >"$OUT/rss-fresh"; : >"$OUT/rss-existing"
for i in $(seq "$SRUNS"); do
	read -r t rss < <(start_server "$RUN/data-$i")
	echo "$t" >>"$OUT/t-fresh"; echo "$rss" >>"$OUT/rss-fresh"
done
for _ in $(seq "$RUNS"); do
	read -r t rss < <(start_server "$RUN/data-1")
	echo "$t" >>"$OUT/t-existing"; echo "$rss" >>"$OUT/rss-existing"
done
echo "fresh data dir:    median $(median <"$OUT/t-fresh") ms   (runs: $(tr '\n' ' ' <"$OUT/t-fresh"))"
echo "existing data dir: median $(median <"$OUT/t-existing") ms   (runs: $(tr '\n' ' ' <"$OUT/t-existing"))"
for k in fresh existing; do
	echo "idle RSS, $k: median $(( $(median <"$OUT/rss-$k" | cut -d. -f1) / 1024 )) MiB   (KiB: $(tr '\n' ' ' <"$OUT/rss-$k"))"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
