#!/usr/bin/env bash
# Tests action.yml's install step (.github/action/install.sh) against a local release and a local
# git repository (file:// URLs, no network): a release tag, a moving tag and a commit on it get the
# release binary; a tampered archive and a binary of another version are refused; a ref no
# release marks is built from source with a ::notice::, never @latest.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
script="$root/.github/action/install.sh"

case "$(uname -s)" in Linux) os=linux runner_os=Linux ;; Darwin) os=darwin runner_os=macOS ;; *) echo "skipping: needs a Linux or macOS host"; exit 0 ;; esac
case "$(uname -m)" in x86_64 | amd64) arch=amd64 runner_arch=X64 ;; aarch64 | arm64) arch=arm64 runner_arch=ARM64 ;; *) echo "skipping: unknown CPU"; exit 0 ;; esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# A release v9.9.9 as GoReleaser lays it out, and v9.9.7 holding the same binary (which says
# v9.9.9, so it must be refused).
mkdir -p "$tmp/build"
go build -trimpath -ldflags "-X github.com/nize/nizepack/internal/cli.Version=v9.9.9" -o "$tmp/build/nizepack" ./cmd/nizepack
release() { # TAG
	local ver="${1#v}" dir="$tmp/releases/$1"
	mkdir -p "$dir"
	tar -czf "$dir/nizepack_${ver}_${os}_${arch}.tar.gz" -C "$tmp/build" nizepack
	(cd "$dir" && { sha256sum nizepack_*.tar.gz 2>/dev/null || shasum -a 256 nizepack_*.tar.gz; } >"nizepack_${ver}_checksums.txt")
}
release v9.9.9
release v9.9.7

# The repository: v9.9.9 (annotated), v9.9.7 and v9 on one commit (the highest release tag
# wins), a later commit tagged v9.9.8 without a release, and an untagged one on branch feature.
git init -q "$tmp/repo"
g() { git -C "$tmp/repo" -c user.name=t -c user.email=t@t "$@"; }
g commit -q --allow-empty -m one
g tag -a v9.9.9 -m v9.9.9
g tag v9
g tag v9.9.7
released="$(g rev-parse HEAD)"
g commit -q --allow-empty -m two
g tag v9.9.8
g commit -q --allow-empty -m three
g branch -q -f feature HEAD

# run NAME [VAR=VALUE...]: runs the install script; its output is in $tmp/NAME.out.
run() {
	local name="$1"
	shift
	rm -rf "$tmp/bin" && : >"$tmp/path"
	env -u NIZEPACK_VERSION -u ACTION_REF -u ACTION_PATH BIN="$tmp/bin" REPO=nize/nizepack RUNNER_OS="$runner_os" RUNNER_ARCH="$runner_arch" \
		GITHUB_PATH="$tmp/path" RELEASES_URL="file://$tmp/releases" GIT_URL="$tmp/repo" GOPROXY=off "$@" \
		bash "$script" >"$tmp/$name.out" 2>&1
}
expect() { # NAME PATTERN: the output of run NAME has a line matching PATTERN
	grep -Eq -- "$2" "$tmp/$1.out" || { cat "$tmp/$1.out"; fail "$1: no line matching $2"; }
}
refuse() { # NAME PATTERN
	! grep -Eq -- "$2" "$tmp/$1.out" || { cat "$tmp/$1.out"; fail "$1: a line matches $2"; }
}

for case in "exact:NIZEPACK_VERSION=v9.9.9" "moving:ACTION_REF=v9" "commit:ACTION_REF=$released"; do
	name="${case%%:*}"
	run "$name" "${case#*:}" || { cat "$tmp/$name.out"; fail "$name: the install failed"; }
	expect "$name" '^nizepack v9\.9\.9: release binary nizepack_9\.9\.9_.*, sha256 [0-9a-f]{64} verified'
	expect "$name" '^nizepack v9\.9\.9$'
	refuse "$name" '::notice'
	grep -qx "$tmp/bin" "$tmp/path" || fail "$name: $tmp/bin is not on GITHUB_PATH"
	echo "ok: $name"
done

# A ref no release marks, with the action's own source: built from it, with a notice.
run source ACTION_REF=feature ACTION_PATH="$root" || { cat "$tmp/source.out"; fail "source: the build failed"; }
expect source '^::notice title=nizepack built from source::no vX\.Y\.Z release tag marks feature \(commit [0-9a-f]{40}\): building nizepack from this action.s own source \(feature\) with go build$'
expect source '^nizepack '
echo "ok: source"

# Used from a local path (no ref): the action's source, with a notice.
run local ACTION_PATH="$root" || { cat "$tmp/local.out"; fail "local: the build failed"; }
expect local '^::notice title=nizepack built from source::the action is used from a local path \(no ref\)'
echo "ok: local"

# A release tag without a release, asked for by nizepack-version: go install at that tag, never
# @latest (GOPROXY=off makes it fail here, after the notice).
if run norelease NIZEPACK_VERSION=v9.9.8; then fail "norelease: installed with GOPROXY=off"; fi
expect norelease '^::notice title=nizepack built from source::release v9\.9\.8 has no nizepack_9\.9\.8_checksums\.txt.*go install github\.com/nize/nizepack/cmd/nizepack@v9\.9\.8$'
refuse norelease '@latest'
echo "ok: norelease"

# A tampered archive is refused, never installed, never built instead.
printf x >>"$tmp/releases/v9.9.9/nizepack_9.9.9_${os}_${arch}.tar.gz"
if run tampered NIZEPACK_VERSION=v9.9.9; then fail "tampered: installed"; fi
expect tampered '^::error::nizepack_9\.9\.9_.* of release v9\.9\.9 does not match nizepack_9\.9\.9_checksums\.txt'
refuse tampered '::notice'
[ ! -e "$tmp/bin/nizepack" ] || fail "tampered: a binary was installed"
echo "ok: tampered"

# A release whose binary says another version is refused.
if run otherversion NIZEPACK_VERSION=v9.9.7; then fail "otherversion: installed"; fi
expect otherversion 'the binary of release v9\.9\.7 says "nizepack v9\.9\.9"'
echo "ok: otherversion"
echo "action install: all cases pass"
