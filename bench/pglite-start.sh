#!/usr/bin/env bash
# Benchmark of the seeded first start (issue 12): the canonical server's start to its
# {"port": N} line, measured side by side, alternating, medians:
#
#   seeded first start    empty data dir, pglite-seed.tar.gz beside the bundle (unpack + open;
#                         the databases the app does not open follow after the port line)
#   later start           the data dir a seeded start left (open only)
#   unseeded first start  empty data dir, the same bundle without its seed (initdb, create, reopen)
#
# plus the seed's size, the time bundle-pglite took to make it, and the unpack time the server
# logs. Goal: seeded first start <= 2x a later start. Measured, not asserted.
#
# Every start gets a data dir of its own, and all are removed only after the last run: deleting
# a 60 MB data dir makes ext4 slow to create files for a few seconds afterwards (measured here:
# the same unpack 0.4 s or 1.7 s), which would charge the bench's own cleanup to the next
# first start. Each start also begins after `sync`, so none pays for an earlier one's writeback.
#
# Needs: go, node, testdata/app installed (`npm ci` in testdata/app).
# Usage: [NODE=path/to/node] bash bench/pglite-start.sh [RUNS] (default 5; at least 3). NODE
# defaults to the Node the app ships when bench/fetch-node.sh fetched it (the real v24 binary),
# else node on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
APP="$PWD/testdata/app"
OUT="$PWD/bench/out/pglite-start"

[ -d "$APP/node_modules/@electric-sql/pglite-socket" ] || { echo "run npm ci in testdata/app first" >&2; exit 1; }
NODE="${NODE:-}"
if [ -z "$NODE" ]; then
	NODE=$(command -v node)
	[ -x bench/out/node-real/package/bin/node ] && NODE="$PWD/bench/out/node-real/package/bin/node"
fi
rm -rf "$OUT" && mkdir -p "$OUT"
go build -o "$OUT/nizepack" ./cmd/nizepack

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "== bundle-pglite with a seed (node $("$NODE" --version), $NODE)"
t0=$(now)
"$OUT/nizepack" bundle-pglite --package-dir "$APP" --out "$OUT/seeded" --node "$NODE" -q >/dev/null
t1=$(now)
MAKE_MS=$(ms "$t0" "$t1")
SEED_BYTES=$(stat -c %s "$OUT/seeded/pglite-seed.tar.gz")
echo "made in ${MAKE_MS} ms; pglite-seed.tar.gz is ${SEED_BYTES} B"

# Both bundles where no node_modules is above them; "unseeded" is the same files minus the seed.
RUN=$(mktemp -d)
trap 'rm -rf "$RUN"' EXIT
cp -r "$OUT/seeded" "$RUN/seeded"
cp -r "$OUT/seeded" "$RUN/unseeded"
rm "$RUN/unseeded/pglite-seed.tar.gz"

start_server() { # BUNDLE_DIR DATA_DIR [DONE_FILE] -> prints "ms"; leaves nothing running
	# A seeded first start writes template1, template0 and postgres after its port line; it is
	# stopped only once they are there (DONE_FILE gets the ms until then), so the later start
	# opens a complete dir, as the app's second launch does.
	local t0 t1 t2 line pid
	sync
	t0=$(now)
	coproc SRV { exec "$NODE" "$1/pglite-server.mjs" --db="$2" --database=nize 2>>"$OUT/stderr"; }
	pid=$SRV_PID
	read -r line <&"${SRV[0]}"
	t1=$(now)
	[[ "$line" == '{"port": '* ]] || { echo "no port line: $line" >&2; kill "$pid"; return 1; }
	if [ -n "${3:-}" ]; then
		for _ in $(seq 300); do [ -e "$2/.pglite-seed-pending" ] || break; sleep 0.01; done
		t2=$(now)
		[ -e "$2/.pglite-seed-pending" ] && { echo "the seeded start did not finish its databases" >&2; kill "$pid"; return 1; }
		ms "$t0" "$t2" >>"$3"
	fi
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	ms "$t0" "$t1"
}

echo
echo "== start to the port line, $RUNS runs each, alternating"
: >"$OUT/t-seeded"; : >"$OUT/t-complete"; : >"$OUT/t-later"; : >"$OUT/t-unseeded"; : >"$OUT/stderr"
for i in $(seq "$RUNS"); do
	start_server "$RUN/seeded" "$RUN/seeded-$i" "$OUT/t-complete" >>"$OUT/t-seeded"
	start_server "$RUN/seeded" "$RUN/seeded-$i" >>"$OUT/t-later"
	start_server "$RUN/unseeded" "$RUN/unseeded-$i" >>"$OUT/t-unseeded"
done
S=$(median <"$OUT/t-seeded"); L=$(median <"$OUT/t-later"); U=$(median <"$OUT/t-unseeded")
grep -o 'unpacked [0-9]* files ([0-9.]* MiB) in [0-9]* ms' "$OUT/stderr" | sed 's/.* in \([0-9]*\) ms/\1/' >"$OUT/t-unpack"
echo "seeded first start:   median ${S} ms   (runs: $(tr '\n' ' ' <"$OUT/t-seeded"))"
echo "  of which unpacking: median $(median <"$OUT/t-unpack") ms   (runs: $(tr '\n' ' ' <"$OUT/t-unpack"))"
echo "  all databases on disk (template1, template0, postgres written after the port line):"
echo "                      median $(median <"$OUT/t-complete") ms   (runs: $(tr '\n' ' ' <"$OUT/t-complete"))"
echo "later start:          median ${L} ms   (runs: $(tr '\n' ' ' <"$OUT/t-later"))"
echo "unseeded first start: median ${U} ms   (runs: $(tr '\n' ' ' <"$OUT/t-unseeded"))"
echo "seeded / later:       $(awk -v a="$S" -v b="$L" 'BEGIN {printf "%.2fx", a/b}') (goal: <= 2x)"
echo "unseeded / seeded:    $(awk -v a="$U" -v b="$S" 'BEGIN {printf "%.1fx", a/b}')"
echo "seed: ${SEED_BYTES} B ($(grep -o 'unpacked [0-9]* files ([0-9.]* MiB)' "$OUT/stderr" | head -1 | sed 's/unpacked //') unpacked before the port line), made in ${MAKE_MS} ms"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
