package fetch

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nize/nizepack/report"
)

func TestRetryAfter(t *testing.T) {
	if got := retryAfter("7"); got != 7*time.Second {
		t.Errorf("seconds: %v", got)
	}
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	if got := retryAfter(future); got < 80*time.Second || got > 91*time.Second {
		t.Errorf("http date: %v", got)
	}
	if got := retryAfter("soon"); got != 0 {
		t.Errorf("garbage: %v", got)
	}
}

func TestRetryable(t *testing.T) {
	cases := map[error]bool{
		&NotFoundError{URL: "u"}: false,
		&statusError{Code: 503}:  true,
		&statusError{Code: 429}:  true,
		&statusError{Code: 403}:  false,
		errStalled:               true,
	}
	for err, want := range cases {
		if got := retryable(err); got != want {
			t.Errorf("retryable(%v) = %v, want %v", err, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("https://user:s3cret@mirror.example/dist"); got != "https://mirror.example/dist" {
		t.Errorf("redact = %q", got)
	}
}

func TestDiskFullIsNotRetried(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /dev/full")
	}
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		w.Write(make([]byte, 1<<20))
	}))
	defer srv.Close()
	c := &client{http: srv.Client(), retries: 4, backoff: time.Millisecond, stall: time.Minute, maxSize: 1 << 30, rep: report.Or(nil)}
	err = c.download(context.Background(), srv.URL+"/node.tar.gz", &hashedFile{File: f, h: sha256.New()}, "node.tar.gz")
	var df *DiskFullError
	if !errors.As(err, &df) || !strings.Contains(err.Error(), "no space left on the device holding /dev/full") {
		t.Fatalf("err = %v, want a DiskFullError", err)
	}
	if requests != 1 {
		t.Errorf("a full disk was retried: %d requests", requests)
	}
}
