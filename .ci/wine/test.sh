#!/usr/bin/env bash
# The whole test suite built for windows/amd64 and run under Wine (Debian's wine64 8.0):
# every package and every testdata/script/*.txtar script.
#
# Two gaps of Wine 8 are bridged here, for the tests only (nothing of this ships):
#   - Go's runtime (>= 1.22) calls ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks:
#     a shim DLL (bcryptprimitives.c beside this file) is built with mingw and copied into the
#     Wine prefix's system32.
#   - os.RemoveAll deletes with NtSetInformationFile(FileDispositionInformationEx), which Wine 8
#     answers with STATUS_NOT_IMPLEMENTED, a status Go does not treat as "unsupported": a
#     `go test -overlay` replaces $GOROOT/src/internal/syscall/windows/at_windows.go with a copy
#     that also falls back on that status. It is generated from the installed GOROOT each run.
#
#   bash .ci/wine/test.sh [go test flags and packages]     (default: ./...)
#
# Installs wine64 and gcc-mingw-w64-x86-64 with apt when missing (as root, as CI is).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=.ci/wine

if ! command -v wine >/dev/null 2>&1 && ! command -v wine64 >/dev/null 2>&1 || ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
	echo "installing wine64 and gcc-mingw-w64-x86-64"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wine64 gcc-mingw-w64-x86-64 >/dev/null
fi
WINE=$(command -v wine64 || command -v wine)

work=${NIZEPACK_WINE_DIR:-${TMPDIR:-/tmp}/nizepack-wine}
mkdir -p "$work"
work=$(cd "$work" && pwd)
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64

# The prefix (first run: wineboot, a few seconds) and the shim DLL.
if [ ! -f "$WINEPREFIX/system.reg" ]; then
	echo "creating the Wine prefix $WINEPREFIX"
	"$WINE" wineboot -i >/dev/null 2>&1
	for ws in wineserver /usr/lib/wine/wineserver; do
		if command -v "$ws" >/dev/null 2>&1; then "$ws" -w; break; fi
	done
fi
x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -Werror -o "$work/bcryptprimitives.dll" "$here/bcryptprimitives.c"
cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"

# The overlay: at_windows.go with STATUS_NOT_IMPLEMENTED (0xC0000002) added to the statuses that
# make Deleteat fall back to the pre-POSIX-semantics path.
goroot=$(go env GOROOT)
src="$goroot/src/internal/syscall/windows/at_windows.go"
want='case STATUS_INVALID_INFO_CLASS, // the operating system'
if ! grep -qF "$want" "$src"; then
	echo "$src no longer has the line the overlay patches ($want): update .ci/wine/test.sh for this Go" >&2
	exit 1
fi
sed "s|$want|case NTStatus(0xC0000002), // STATUS_NOT_IMPLEMENTED: Wine 8 has no FileDispositionInformationEx\n\t\tSTATUS_INVALID_INFO_CLASS, // the operating system|" "$src" > "$work/at_windows.go"
printf '{"Replace":{"%s":"%s"}}\n' "$src" "$work/at_windows.go" > "$work/overlay.json"

# Smoke test of both fixes before the suite: a Go program that starts and removes a tree.
cat > "$work/probe.go" <<'GO'
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	d, err := os.MkdirTemp("", "probe")
	if err == nil {
		err = os.WriteFile(filepath.Join(d, "f"), []byte("x"), 0o444)
	}
	if err == nil {
		err = os.RemoveAll(d)
	}
	if err != nil {
		fmt.Println("probe:", err)
		os.Exit(1)
	}
	fmt.Println("probe: Go runs under Wine and os.RemoveAll works")
}
GO
GOOS=windows GOARCH=amd64 go build -overlay "$work/overlay.json" -o "$work/probe.exe" "$work/probe.go"
"$WINE" "$work/probe.exe"

if [ $# -eq 0 ]; then
	set -- ./...
fi
# The scripts see [wine] (script_wine_windows_test.go asks ntdll whether it is Wine's), and the
# Unix environment (CI=true) reaches the test binaries through Wine.
# The full -v log goes to a file; shown are the package results and every skipped test with its
# reason (the whole log when something fails).
log="$work/test.log"
start=$SECONDS
rc=0
GOOS=windows GOARCH=amd64 go test -v -exec "$WINE" -overlay "$work/overlay.json" "$@" >"$log" 2>&1 || rc=$?
# Under load Wine 8 sometimes fails to create a process ("fork/exec ...: Internal error."), a
# Wine failure, not the product's: then, and only then, the suite runs once more.
if [ $rc -ne 0 ] && grep -q 'fork/exec .*: Internal error\.' "$log"; then
	echo "Wine failed to start a process (fork/exec ...: Internal error.); running the suite once more:"
	grep 'fork/exec .*: Internal error\.' "$log" | head -n 3
	rc=0
	GOOS=windows GOARCH=amd64 go test -v -exec "$WINE" -overlay "$work/overlay.json" "$@" >"$log" 2>&1 || rc=$?
fi
if [ $rc -ne 0 ]; then
	cat "$log"
	echo "windows/amd64 tests under Wine FAILED (exit $rc) after $((SECONDS - start)) s"
	exit $rc
fi
grep -E '^(ok|FAIL|\?) ' "$log" || true
echo "skipped under Wine, with the reason each gave:"
awk '
/^=== (RUN|CONT|NAME|PAUSE)/ { cur = $3; next }
/^ *--- SKIP: / { printf "  %s: %s\n", $3, ($3 in why ? why[$3] : "?"); next }
/^ +[A-Za-z0-9_]+\.go:[0-9]+: / && !/^ +testscript\.go:/ { l = $0; sub(/^ +[A-Za-z0-9_]+\.go:[0-9]+: /, "", l); why[cur] = l }
' "$log"
echo "windows/amd64 tests under Wine passed in $((SECONDS - start)) s"
