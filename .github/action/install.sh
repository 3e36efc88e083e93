#!/usr/bin/env bash
# Installs nizepack for action.yml into $BIN and adds it to $GITHUB_PATH.
#
# The ref asked for (the nizepack-version input, else the ref the action is used at) gets the
# release binary when a vX.Y.Z release tag marks it: the tag itself, or a tag on the same commit
# as a moving tag (v1), a branch or a commit SHA. The archive is checked against the release's
# SHA-256 checksums file before anything is installed; a mismatch fails the step. A ref no
# release marks (or a release without an archive for this runner) is built from source, with a
# ::notice:: saying so and why: from this action's own checkout when no nizepack-version was
# given, else with go install at exactly that ref. Never @latest.
#
# Environment: BIN, REPO (owner/name), RUNNER_OS, RUNNER_ARCH, GITHUB_PATH, and optional
# NIZEPACK_VERSION (the input), ACTION_REF and ACTION_PATH (github.action_ref/_path).
# RELEASES_URL and GIT_URL replace https://github.com/$REPO/releases/download and
# https://github.com/$REPO.git (a GitHub Enterprise host; the tests use local ones).
set -euo pipefail
: "${BIN:?}" "${REPO:?}" "${RUNNER_OS:?}" "${RUNNER_ARCH:?}" "${GITHUB_PATH:?}"

ref="${NIZEPACK_VERSION:-${ACTION_REF:-}}"
releases="${RELEASES_URL:-https://github.com/${REPO}/releases/download}"
git_url="${GIT_URL:-https://github.com/${REPO}.git}"
exe=""
[ "$RUNNER_OS" = Windows ] && exe=.exe
mkdir -p "$BIN"

os="" arch=""
case "$RUNNER_OS" in Linux) os=linux ;; macOS) os=darwin ;; Windows) os=windows ;; esac
case "$RUNNER_ARCH" in X64) arch=amd64 ;; ARM64) arch=arm64 ;; esac

# find_release_tag: sets tag to the vX.Y.Z release tag that marks $ref, or why to the reason
# there is none.
tag="" why=""
find_release_tag() {
	if [ -z "$ref" ]; then
		why="the action is used from a local path (no ref)"
		return
	fi
	if [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
		tag="$ref"
		return
	fi
	local refs commit
	if ! refs="$(git ls-remote "$git_url" 2>&1)"; then
		why="listing the tags of $git_url failed: ${refs##*$'\n'}"
		return
	fi
	if [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
		commit="$ref"
	else
		# An annotated tag's commit is on its peeled line (^{}); a lightweight tag's or a
		# branch's on its own.
		commit="$(awk -v r="refs/tags/$ref^{}" '$2 == r { print $1; exit }' <<<"$refs")"
		if [ -z "$commit" ]; then
			commit="$(awk -v t="refs/tags/$ref" -v h="refs/heads/$ref" '$2 == t || $2 == h { print $1; exit }' <<<"$refs")"
		fi
	fi
	if [ -z "$commit" ]; then
		why="$ref is no tag, branch or full commit SHA of $git_url"
		return
	fi
	# The highest release tag on that commit.
	tag="$(awk -v c="$commit" '$1 == c && $2 ~ /^refs\/tags\/v[0-9]+\.[0-9]+\.[0-9]+(\^\{\})?$/ {
		t = $2; sub(/^refs\/tags\//, "", t); sub(/\^\{\}$/, "", t); print t }' <<<"$refs" |
		sort -u -t. -k1.2,1n -k2,2n -k3,3n | tail -n1)"
	if [ -z "$tag" ]; then
		why="no vX.Y.Z release tag marks $ref (commit $commit)"
	fi
}

# install_release: installs the release binary of $tag, checked against the release's checksums
# file, and returns 0; returns 1 (with why set) when the release has no checksums file or no
# archive for this runner. A checksum mismatch or a binary of another version ends the run.
install_release() {
	local ver="${tag#v}" ext=tar.gz file base tmp want got
	if [ -z "$os" ] || [ -z "$arch" ]; then
		why="release $tag has no binary for a $RUNNER_OS $RUNNER_ARCH runner"
		return 1
	fi
	[ "$os" = windows ] && ext=zip
	file="nizepack_${ver}_${os}_${arch}.${ext}"
	base="$releases/$tag"
	tmp="$(mktemp -d)"
	if ! curl -fsSL --retry 3 -o "$tmp/checksums.txt" "$base/nizepack_${ver}_checksums.txt"; then
		why="release $tag has no nizepack_${ver}_checksums.txt (not published, or not yet)"
		return 1
	fi
	want="$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/checksums.txt")"
	if [ -z "$want" ]; then
		why="release $tag lists no $file"
		return 1
	fi
	if ! curl -fsSL --retry 3 -o "$tmp/$file" "$base/$file"; then
		why="release $tag lists $file but it could not be downloaded"
		return 1
	fi
	if command -v sha256sum >/dev/null; then
		got="$(sha256sum "$tmp/$file" | cut -d' ' -f1)"
	else
		got="$(shasum -a 256 "$tmp/$file" | cut -d' ' -f1)"
	fi
	if [ "$want" != "$got" ]; then
		echo "::error::$file of release $tag does not match nizepack_${ver}_checksums.txt (sha256 $got, want $want): refusing it"
		exit 1
	fi
	mkdir "$tmp/x"
	if [ "$ext" = zip ]; then
		(cd "$tmp/x" && { unzip -q "../$file" || 7z x -y "../$file" >/dev/null; })
	else
		tar -xzf "$tmp/$file" -C "$tmp/x"
	fi
	cp "$tmp/x/nizepack$exe" "$BIN/nizepack$exe"
	chmod 0755 "$BIN/nizepack$exe"
	local says
	says="$("$BIN/nizepack$exe" version)"
	if [ "$says" != "nizepack $tag" ]; then
		echo "::error::the binary of release $tag says \"$says\", not \"nizepack $tag\": refusing it"
		rm -f "$BIN/nizepack$exe"
		exit 1
	fi
	echo "nizepack $tag: release binary $file, sha256 $got verified against nizepack_${ver}_checksums.txt"
}

# build_from_source: builds nizepack at $ref, saying so and why.
build_from_source() {
	if ! command -v go >/dev/null; then
		echo "::error::nizepack: $why, and there is no Go to build it from source: add actions/setup-go before this action, or use it at a released version"
		exit 1
	fi
	if [ -z "${NIZEPACK_VERSION:-}" ] && [ -n "${ACTION_PATH:-}" ] && [ -f "$ACTION_PATH/go.mod" ]; then
		echo "::notice title=nizepack built from source::$why: building nizepack from this action's own source (${ACTION_REF:-local checkout}) with go build"
		(cd "$ACTION_PATH" && go build -trimpath -o "$BIN/nizepack$exe" ./cmd/nizepack)
	elif [ -n "$ref" ]; then
		echo "::notice title=nizepack built from source::$why: building nizepack from source with go install github.com/${REPO}/cmd/nizepack@${ref}"
		GOBIN="$BIN" go install "github.com/${REPO}/cmd/nizepack@${ref}"
	else
		echo "::error::nizepack: no version to install: set the nizepack-version input"
		exit 1
	fi
}

find_release_tag
if [ -z "$tag" ] || ! install_release; then
	build_from_source
fi
echo "$BIN" >>"$GITHUB_PATH"
"$BIN/nizepack$exe" version
