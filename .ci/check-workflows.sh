#!/usr/bin/env bash
# Lints nizepack's GitHub workflows and action.yml with actionlint (pinned, run through the Go
# module proxy only), and checks that the command docs in docs/cli are what the current command
# tree generates. Fix stale docs with: go run ./cmd/nizepack-docs
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

echo "actionlint: .github/workflows/*.yml"
# shellcheck/pyflakes integration is off: they are not Go and would need more than the Go proxy.
go run "$ACTIONLINT" -shellcheck= -pyflakes= .github/workflows/*.yml

# actionlint lints workflows only; action.yml is a composite action. Lint its shell and
# expressions by wrapping its steps in a throwaway workflow job with the same inputs.
echo "actionlint: action.yml (as a workflow)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/.github/workflows"
cp action.yml "$tmp/action.yml" # for the wrapper's `uses: ./`
go run ./internal/ci/actionwrap action.yml > "$tmp/.github/workflows/action.yml"
(cd "$tmp" && go run "$ACTIONLINT" -shellcheck= -pyflakes= .github/workflows/action.yml) || {
	echo "actionlint found problems in action.yml (line numbers refer to the generated wrapper above)"
	cat -n "$tmp/.github/workflows/action.yml"
	exit 1
}

echo "docs/cli is current"
go run ./cmd/nizepack-docs "$tmp/cli"
if ! diff -ru docs/cli "$tmp/cli"; then
	echo "docs/cli is stale: regenerate it with \`go run ./cmd/nizepack-docs\` and commit the result"
	exit 1
fi
