package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nize/nizepack/internal/atomicfile"
	"github.com/nize/nizepack/report"
)

// NotFoundError is a 404/410 from the mirror: not retried.
type NotFoundError struct{ URL string }

func (e *NotFoundError) Error() string { return e.URL + " was not found (404)" }

// statusError is an HTTP status that is not a success.
type statusError struct {
	URL        string
	Status     string
	Code       int
	RetryAfter time.Duration
}

func (e *statusError) Error() string { return fmt.Sprintf("%s answered %s", e.URL, e.Status) }

var errStalled = errors.New("no data received within the stall timeout")

// client is an HTTP client with bounded retries, resume and a stall (not total) timeout.
type client struct {
	http    *http.Client
	token   string        // bearer token for private mirrors
	user    *url.Userinfo // user:password from the mirror URL, sent as basic auth
	retries int           // attempts after the first
	backoff time.Duration // first retry delay, doubled each time
	stall   time.Duration
	maxSize int64 // bound of one download
	rep     report.Reporter
}

// mirrorOf is the scheme and host of a URL, for messages.
func mirrorOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the mirror"
	}
	return u.Scheme + "://" + u.Host
}

// Redact drops any user:password from a URL so it can be shown. A URL that does not parse is
// not shown at all, since it may still hold credentials.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an invalid URL, not shown)"
	}
	u.User = nil
	return u.String()
}

// MirrorError is a mirror URL that cannot be used; it never repeats the URL, which may hold
// credentials.
type MirrorError struct{ Reason string }

func (e *MirrorError) Error() string { return "the mirror URL " + e.Reason }

// SplitMirror validates a mirror URL and separates its user:password (sent as basic auth) from
// the base URL used in requests and messages, so credentials never reach a log line.
func SplitMirror(raw string) (base string, user *url.Userinfo, err error) {
	if !strings.Contains(raw, "://") {
		// "127.0.0.1:8080" or "mirror.example/dist": not shown, as it may hold user:password@.
		return "", nil, &MirrorError{Reason: "has no scheme: add http:// or https:// in front of it"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, &MirrorError{Reason: "does not parse (it is not shown, as it may hold credentials): percent-encode special characters in user:password"}
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		u.User = nil
		return "", nil, &MirrorError{Reason: fmt.Sprintf("%q is not an http(s) URL with a host", u.String())}
	}
	user, u.User = u.User, nil
	return strings.TrimRight(u.String(), "/"), user, nil
}

func (c *client) newRequest(ctx context.Context, rawURL string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, permanent{fmt.Errorf("bad URL %s: %w", Redact(rawURL), err)}
	}
	req.Header.Set("User-Agent", "nizepack")
	// The bytes exactly as published: a mirror that labels a .tar.gz "Content-Encoding: gzip"
	// (Apache's AddEncoding) must not have it transparently decompressed before it is hashed.
	req.Header.Set("Accept-Encoding", "identity")
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.user != nil:
		pw, _ := c.user.Password()
		req.SetBasicAuth(c.user.Username(), pw)
	}
	return req, nil
}

// permanent marks an error that no retry can fix.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// getSmall fetches a small file (sums, signatures) into memory, with retries.
func (c *client) getSmall(ctx context.Context, rawURL string) ([]byte, error) {
	var data []byte
	err := c.withRetries(ctx, rawURL, func(ctx context.Context, _ int) error {
		req, err := c.newRequest(ctx, rawURL)
		if err != nil {
			return err
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := checkStatus(rawURL, resp, http.StatusOK); err != nil {
			return err
		}
		data, err = io.ReadAll(io.LimitReader(resp.Body, maxSmall+1))
		if err == nil && len(data) > maxSmall {
			return permanent{&TooLargeError{URL: Redact(rawURL), Limit: maxSmall}}
		}
		return err
	})
	return data, err
}

// maxSmall bounds sums, signatures and index.json.
const maxSmall = 8 << 20

// TooLargeError is a download that would exceed its bound: the announced Content-Length, or
// Options.MaxDownload (512 MiB by default; Node archives are under 100 MB).
type TooLargeError struct {
	URL   string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d MiB, far more than a Node.js release file: refusing it", e.URL, e.Limit>>20)
}

// DiskFullError is a write that failed because the disk holding Path is full. It is not a
// network error and is never retried.
type DiskFullError struct {
	Path string
	Err  error
}

func (e *DiskFullError) Error() string {
	return fmt.Sprintf("no space left on the device holding %s", e.Path)
}

func (e *DiskFullError) Unwrap() error { return e.Err }

// diskErr turns a disk-full error while writing path into a *DiskFullError.
func diskErr(err error, path string) error {
	var de *DiskFullError
	if err == nil || errors.As(err, &de) || !isDiskFull(err) {
		return err
	}
	return &DiskFullError{Path: path, Err: err}
}

func isDiskFull(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	if runtime.GOOS == "windows" {
		return errno == 112 || errno == 39 // ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL
	}
	return errno == syscall.ENOSPC
}

// diskWriter marks write errors as local, permanent ones: a full disk is not a network error.
type diskWriter struct {
	w    io.Writer
	path string
}

func (d diskWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		err = permanent{&writeError{diskErr(err, d.path)}}
	}
	return n, err
}

// writeError is a failed local write, as opposed to a failed read from the network.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// isPermanentDownload reports errors after which a partial download is not worth keeping.
func isPermanentDownload(err error) bool {
	var tl *TooLargeError
	return errors.As(err, &tl)
}

// UnreachableError is a mirror whose host name does not resolve: retrying cannot help.
type UnreachableError struct {
	Mirror, Host string
	Err          error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s: the host %s does not resolve (no such host)", e.Mirror, e.Host)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// download writes rawURL's body to f, resuming with a Range request when an attempt is cut
// off and the server supports ranges. f may already hold a prefix from an earlier attempt.
func (c *client) download(ctx context.Context, rawURL string, f *hashedFile, label string) error {
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	var bar report.Bar
	defer func() {
		if bar != nil {
			bar.Finish()
		}
	}()
	return c.withRetries(ctx, rawURL, func(ctx context.Context, attempt int) error {
		req, err := c.newRequest(ctx, rawURL)
		if err != nil {
			return err
		}
		if have > 0 {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusPartialContent && have > 0:
			var start int64 = -1
			fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-", &start)
			if start != have {
				return c.restart(f, &have, fmt.Errorf("%s sent a range starting at %d, not %d", Redact(rawURL), start, have))
			}
			if attempt > 0 {
				c.rep.Infof("resuming %s at byte %d", Redact(rawURL), have)
			}
		case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
			// "bytes */N": the partial may already be whole (a run killed after the last byte);
			// the caller's checksum decides.
			var size int64 = -1
			fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes */%d", &size)
			if size == have {
				return nil
			}
			return c.restart(f, &have, fmt.Errorf("%s refused to resume", Redact(rawURL)))
		case resp.StatusCode == http.StatusOK:
			if have > 0 { // the server ignored the Range header: start over
				if err := f.truncate(); err != nil {
					return err
				}
				have = 0
			}
		default:
			if err := checkStatus(rawURL, resp, http.StatusOK); err != nil {
				return err
			}
		}
		total := int64(-1)
		limit := c.maxSize - have // never past the cap
		if resp.ContentLength >= 0 {
			total = have + resp.ContentLength
			if total > c.maxSize {
				f.truncate()
				return permanent{&TooLargeError{URL: Redact(rawURL), Limit: c.maxSize}}
			}
			limit = resp.ContentLength // never past what was announced
		}
		if bar == nil {
			bar = c.rep.Progress(label, total)
		}
		bar.Set(have)
		n, err := io.Copy(diskWriter{io.MultiWriter(f.writeback(), bar), f.Name()}, io.LimitReader(resp.Body, limit+1))
		have += n
		var we *writeError
		if errors.As(err, &we) {
			return err
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", Redact(rawURL), err)
		}
		if n > limit {
			f.truncate()
			if total >= 0 {
				return fmt.Errorf("reading %s: the body is longer than its Content-Length %d", Redact(rawURL), resp.ContentLength)
			}
			return permanent{&TooLargeError{URL: Redact(rawURL), Limit: c.maxSize}}
		}
		if total >= 0 && have != total {
			return fmt.Errorf("reading %s: got %d of %d bytes: %w", Redact(rawURL), have, total, io.ErrUnexpectedEOF)
		}
		return nil
	})
}

// restart drops what was downloaded so the next attempt starts from zero.
func (c *client) restart(f *hashedFile, have *int64, cause error) error {
	if err := f.truncate(); err != nil {
		return err
	}
	*have = 0
	return cause
}

// hashedFile is a download target that hashes what is appended to it, so the sum is known
// when the last byte lands, without reading the file again.
type hashedFile struct {
	*os.File
	h   hash.Hash
	n   int64          // bytes in the file
	tee *io.PipeWriter // when set, gets every byte appended, in order
}

// openHashed opens path for appending and hashes the prefix an earlier attempt left.
func openHashed(path string) (*hashedFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &hashedFile{File: f, h: h, n: n}, nil
}

func (f *hashedFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.h.Write(p[:n])
	f.n += int64(n)
	if f.tee != nil && n > 0 {
		f.tee.Write(p[:n]) // the reader drains it to the end whatever happens
	}
	return n, err
}

// writeback is f, asking the kernel to start writing each few MiB to disk as it goes.
func (f *hashedFile) writeback() io.Writer {
	wb := atomicfile.EarlyWriteback(f.File)
	if wb == io.Writer(f.File) {
		return f
	}
	return hashedWriteback{f, wb}
}

type hashedWriteback struct {
	f  *hashedFile
	wb io.Writer
}

func (h hashedWriteback) Write(p []byte) (int, error) {
	n, err := h.wb.Write(p)
	h.f.h.Write(p[:n])
	h.f.n += int64(n)
	if h.f.tee != nil && n > 0 {
		h.f.tee.Write(p[:n])
	}
	return n, err
}

func (f *hashedFile) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

func (f *hashedFile) truncate() error {
	if f.tee != nil { // what was streamed no longer leads to the archive
		f.tee.CloseWithError(errStreamBroken)
		f.tee = nil
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	f.h.Reset()
	f.n = 0
	_, err := f.Seek(0, io.SeekStart)
	return err
}

func checkStatus(rawURL string, resp *http.Response, want int) error {
	if resp.StatusCode == want {
		return nil
	}
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		return &NotFoundError{URL: Redact(rawURL)}
	}
	return &statusError{URL: Redact(rawURL), Status: resp.Status, Code: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// retryable reports whether an attempt's error is worth another try.
func retryable(err error) bool {
	var nf *NotFoundError
	var perm permanent
	if errors.As(err, &nf) || errors.As(err, &perm) {
		return false
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil && errors.Is(ue.Err, context.Canceled) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false
	}
	// Connection errors, resets, truncated bodies and stalls.
	return true
}

// withRetries runs attempt with a per-attempt stall watchdog, retrying retryable failures with
// exponential backoff (or the server's Retry-After, capped at a minute).
func (c *client) withRetries(ctx context.Context, rawURL string, attempt func(ctx context.Context, n int) error) error {
	delay := c.backoff
	for n := 0; ; n++ {
		err := c.attemptWithWatchdog(ctx, attempt, n)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) || n >= c.retries {
			var dns *net.DNSError
			if errors.As(err, &dns) && dns.IsNotFound {
				return &UnreachableError{Mirror: mirrorOf(rawURL), Host: dns.Name, Err: err}
			}
			return err
		}
		wait := delay
		var se *statusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = min(se.RetryAfter, time.Minute)
		}
		c.rep.Infof("retrying %s in %s: %v", Redact(rawURL), wait.Round(time.Millisecond), err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		delay *= 2
	}
}

// attemptWithWatchdog cancels the attempt when no progress is made for c.stall; any read of the
// response body counts as progress (see stallReader via transport), so slow but moving
// downloads are never cut off.
func (c *client) attemptWithWatchdog(ctx context.Context, attempt func(ctx context.Context, n int) error, n int) error {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(c.stall, func() { cancel(errStalled) })
	defer timer.Stop()
	err := attempt(context.WithValue(actx, progressKey{}, func() { timer.Reset(c.stall) }), n)
	if err != nil && context.Cause(actx) == errStalled {
		return fmt.Errorf("%w (%s)", errStalled, c.stall)
	}
	return err
}

type progressKey struct{}

// progressTransport resets the stall watchdog of a request whenever its body delivers bytes.
type progressTransport struct{ base http.RoundTripper }

func (t progressTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if tick, ok := req.Context().Value(progressKey{}).(func()); ok {
		tick()
		resp.Body = &tickingBody{ReadCloser: resp.Body, tick: tick}
	}
	return resp, nil
}

type tickingBody struct {
	io.ReadCloser
	tick func()
}

func (b *tickingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.tick()
	}
	return n, err
}
