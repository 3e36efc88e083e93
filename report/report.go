// Package report is how library packages tell the user what they are doing without printing:
// they call a Reporter, and the CLI decides whether that becomes a progress bar on a TTY,
// plain lines in CI, GitHub Actions groups, or nothing.
//
//	type lines struct{ report.Nop }
//	func (lines) Infof(format string, args ...any) { log.Printf(format, args...) }
//	bundle.Build(ctx, bundle.Options{..., Reporter: lines{}})
package report

import "io"

// Reporter receives progress from library code. Implementations are safe for concurrent use.
type Reporter interface {
	// Infof reports one line of progress.
	Infof(format string, args ...any)
	// Warnf reports something the user should know but that does not stop the work.
	Warnf(format string, args ...any)
	// Progress starts a byte counter for one transfer of total bytes (-1 when unknown).
	Progress(label string, total int64) Bar
	// Group opens a named section (a GitHub Actions group in CI); call the result to close it.
	Group(name string) (end func())
}

// Bar counts bytes written to it. Finish ends it.
type Bar interface {
	io.Writer
	// Set moves the count to n, e.g. when a download restarts from zero.
	Set(n int64)
	Finish()
}

// Or returns r, or Nop when r is nil, so a zero-value Options field is a safe default.
func Or(r Reporter) Reporter {
	if r == nil {
		return Nop{}
	}
	return r
}

// Nop discards everything.
type Nop struct{}

func (Nop) Infof(string, ...any)       {}
func (Nop) Warnf(string, ...any)       {}
func (Nop) Progress(string, int64) Bar { return nopBar{} }
func (Nop) Group(string) func()        { return func() {} }

type nopBar struct{}

func (nopBar) Write(p []byte) (int, error) { return len(p), nil }
func (nopBar) Set(int64)                   {}
func (nopBar) Finish()                     {}
