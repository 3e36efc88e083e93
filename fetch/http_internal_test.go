package fetch

import (
	"net/http"
	"testing"
	"time"
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
