package fetch_test

import (
	"context"
	"testing"

	"github.com/nize/nizepack/internal/nodemirror"
)

// A failed sums fetch (here: a cancelled context) is not remembered: the same Client tries again
// on the next call, so one bad moment does not break a long-lived client for that version.
func TestVerifiedSumsRetriesAfterAFailure(t *testing.T) {
	e := newEnv(t, nodemirror.Options{Dists: []string{"linux-x64"}, TarKinds: []string{"gz"}})
	i := e.fetcher(t, nil)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := i.c.VerifiedSums(cancelled, version); err == nil {
		t.Fatal("a cancelled context fetched the sums")
	}
	sums, err := i.c.VerifiedSums(context.Background(), version)
	if err != nil || len(sums) == 0 {
		t.Fatalf("second call: %d sums, err %v", len(sums), err)
	}
	if _, err := i.Fetch(context.Background(), mustTarget(t, "linux-x64")); err != nil {
		t.Fatal(err)
	}
}
