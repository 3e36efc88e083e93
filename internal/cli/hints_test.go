package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/sidecars"
)

// describe adds the fix to library errors wherever they sit in a chain of wrapping and joining,
// and leaves every other text as it is.
func TestDescribe(t *testing.T) {
	notBuilt := &sidecars.NotBuiltError{Name: "api", Platform: "linux-arm64", Looked: []string{"target/x/release/api"}, Cargo: []string{"cargo", "build", "--release", "--bin", "api"}}
	offline := &fetch.OfflineError{What: "node-v24.21.0-linux-x64.tar.gz", CacheDir: "/c"}
	for _, c := range []struct {
		err  error
		want string
	}{
		{errors.New("plain"), "plain"},
		{&bundle.MissingPackageError{Package: "p", Dir: "/app"}, "cannot resolve p from /app: run `npm ci` in /app"},
		{fmt.Errorf("linux-x86_64: %w", offline), "linux-x86_64: --offline: node-v24.21.0-linux-x64.tar.gz is not in the cache /c; run once without --offline to fill it"},
		{errors.Join(notBuilt, errors.New("other")), "sidecar api for linux-arm64 not found at target/x/release/api; build it with `cargo build --release --bin api` (or set --cargo-target-dir)\nother"},
		{fmt.Errorf("%w (while preparing)", offline), "offline: node-v24.21.0-linux-x64.tar.gz is not in the cache /c (while preparing)"}, // not a suffix: kept as is
		{&bundle.InputError{Input: bundle.InputOut, Path: "/o", Problem: "exists and is not a directory"}, "output /o exists and is not a directory: pass --out with a directory"},
	} {
		if got := describe(c.err); got != c.want {
			t.Errorf("describe(%q)\n got %q\nwant %q", c.err, got, c.want)
		}
	}
}
