package cli

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/nize/nizepack/report"
)

// terminalReporter turns library progress into stderr output: bars on a TTY, plain lines in CI,
// GitHub Actions groups when GITHUB_ACTIONS=true, and nothing but warnings with --quiet.
type terminalReporter struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	github bool
	quiet  bool
	barOn  bool // one bar at a time: concurrent downloads (--all) would garble a TTY
}

// newReporter returns the invocation's one reporter, so every step and library shares its lock
// and its one-bar-at-a-time rule.
func newReporter(s *Streams, g *globalOptions) *terminalReporter {
	if g.reporter != nil {
		return g.reporter
	}
	r := &terminalReporter{w: s.Err, quiet: g.quiet, github: s.getenv("GITHUB_ACTIONS") == "true"}
	if f, ok := s.Err.(*os.File); ok && s.getenv("CI") == "" && !r.github {
		r.tty = term.IsTerminal(int(f.Fd()))
	}
	g.reporter = r
	return r
}

var _ report.Reporter = (*terminalReporter)(nil)

func (r *terminalReporter) Infof(format string, args ...any) {
	if r.quiet {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format+"\n", args...)
}

func (r *terminalReporter) Warnf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if r.github {
		fmt.Fprintf(r.w, "::warning::%s\n", escapeAnnotation(msg))
		return
	}
	fmt.Fprintf(r.w, "warning: %s\n", msg)
}

func (r *terminalReporter) Group(name string) func() {
	if r.quiet || !r.github {
		r.Infof("%s", name)
		return func() {}
	}
	r.mu.Lock()
	fmt.Fprintf(r.w, "::group::%s\n", name)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		fmt.Fprintln(r.w, "::endgroup::")
		r.mu.Unlock()
	}
}

func (r *terminalReporter) Progress(label string, total int64) report.Bar {
	if r.quiet || !r.tty {
		return plainBar{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.barOn {
		return plainBar{}
	}
	r.barOn = true
	return &ttyBar{r: r, bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(r.w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100_000_000), // 100ms
		progressbar.OptionClearOnFinish(),
	)}
}

// plainBar is what CI logs get: no bar at all (the caller prints start and end lines).
type plainBar struct{}

func (plainBar) Write(p []byte) (int, error) { return len(p), nil }
func (plainBar) Set(int64)                   {}
func (plainBar) Finish()                     {}

type ttyBar struct {
	r   *terminalReporter
	bar *progressbar.ProgressBar
}

func (b *ttyBar) Write(p []byte) (int, error) { return b.bar.Write(p) }
func (b *ttyBar) Set(n int64)                 { b.bar.Set64(n) }
func (b *ttyBar) Finish() {
	b.bar.Finish()
	b.r.mu.Lock()
	b.r.barOn = false
	b.r.mu.Unlock()
}
