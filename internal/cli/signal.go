package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Interrupted is why a run's context ends when a signal arrives: every wait (a lock held by
// another process, a stalled download) stops, and the run exits 128+N (130 for SIGINT).
type Interrupted struct{ Signal os.Signal }

func (i Interrupted) Error() string { return "interrupted by " + signalName(i.Signal) }

// ExitCode is the shell's code for a process ended by the signal.
func (i Interrupted) ExitCode() int {
	if s, ok := i.Signal.(syscall.Signal); ok && i.Signal != os.Interrupt {
		return 128 + int(s)
	}
	return 130
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// SignalContext is ctx ended by the first SIGINT or SIGTERM, with Interrupted as its cause.
// A second signal ends the process at once, and so does the first when the run has not
// returned a second after it (whatever it left half-written, the next run cleans up).
func SignalContext(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			signal.Stop(sigs) // the next signal gets the default action
			in := Interrupted{Signal: sig}
			cancel(in)
			select {
			case <-done:
			case <-time.After(time.Second):
				os.Stderr.WriteString("nizepack: " + in.Error() + "\n")
				os.Exit(in.ExitCode())
			}
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		signal.Stop(sigs)
		cancel(nil)
	}
}
