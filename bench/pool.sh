#!/usr/bin/env bash
# Benchmark of the canonical server as a pool (issue 20): 5 clients at once against 1, with
# pgbench in prepared mode (-M prepared: every connection prepares its statements under the
# same names, as sqlx does), on the same server and data dir, alternating:
#
#   select   SELECT :id::int + 1                          (one statement per turn)
#   tx       BEGIN; SELECT; INSERT; COMMIT               (a transaction per turn)
#
# PGlite is one Postgres session, so 5 clients cannot run faster than 1 in parallel: the ratio
# shows what the turns cost (or win, by keeping the session busy while a client is between
# messages). Measured, not asserted.
#
# Needs: go, node, pgbench, testdata/app installed (`npm ci` in testdata/app); PKG=testdata/realapp
# measures PGlite 0.3.15 with pglite-socket 0.0.20 instead.
# Usage: [NODE=node] [PKG=testdata/app] bash bench/pool.sh [SECONDS] (default 10 per run)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-10}"
PKG="$PWD/${PKG:-testdata/app}"
OUT="$PWD/bench/out/pool"
NODE="${NODE:-node}"

command -v pgbench >/dev/null || { echo "pgbench is not installed" >&2; exit 1; }
[ -d "$PKG/node_modules/@electric-sql/pglite-socket" ] || { echo "run npm ci in $PKG first" >&2; exit 1; }
rm -rf "$OUT" && mkdir -p "$OUT"
go build -o "$OUT/nizepack" ./cmd/nizepack
"$OUT/nizepack" bundle-pglite --no-seed --package-dir "$PKG" --out "$OUT/pglite" -q >/dev/null

"$NODE" "$OUT/pglite/pglite-server.mjs" --db="$OUT/data" --database=nize >"$OUT/port" 2>"$OUT/server.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 240); do [ -s "$OUT/port" ] && break; sleep 0.5; done
PORT=$(sed -n 's/^{"port": \([0-9]*\).*/\1/p' "$OUT/port")
[ -n "$PORT" ] || { echo "the server did not start:" >&2; cat "$OUT/server.log" >&2; exit 1; }
export PGPASSWORD=x PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=postgres PGDATABASE=nize
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE TABLE IF NOT EXISTS pool_bench (a int)'

printf '\\set id random(1, 1000)\nSELECT :id::int + 1;\n' >"$OUT/select.sql"
printf '\\set id random(1, 100000)\nBEGIN;\nSELECT :id::int + 1;\nINSERT INTO pool_bench VALUES (:id);\nCOMMIT;\n' >"$OUT/tx.sql"

tps() { # SCRIPT CLIENTS -> transactions per second
	pgbench -n -M prepared -c "$2" -j "$2" -T "$SECS" -f "$OUT/$1.sql" 2>"$OUT/pgbench.err" |
		sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}

echo "== $(sed -n 's/.*"pglite": "\([^"]*\)".*/PGlite \1/p' "$OUT/port"), node $("$NODE" --version), ${SECS} s per run"
for script in select tx; do
	one=$(tps "$script" 1)
	five=$(tps "$script" 5)
	[ -n "$one" ] && [ -n "$five" ] || { echo "pgbench failed:" >&2; cat "$OUT/pgbench.err" >&2; exit 1; }
	ratio=$(awk -v a="$five" -v b="$one" 'BEGIN { printf "%.2f", a / b }')
	printf '%-7s 1 client: %8.1f tps   5 clients: %8.1f tps   5/1: %s\n' "$script" "$one" "$five" "$ratio"
done
