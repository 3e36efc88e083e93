package cli

import (
	"bytes"
	"testing"
)

func TestReporterOneBarAtATime(t *testing.T) {
	var buf bytes.Buffer
	r := &terminalReporter{w: &buf, tty: true}
	first := r.Progress("node-v24.tar.gz", 1000)
	if _, ok := first.(*ttyBar); !ok {
		t.Fatalf("first bar on a TTY is %T, want a progress bar", first)
	}
	if _, ok := r.Progress("second", 1000).(plainBar); !ok {
		t.Error("a second concurrent download got its own bar")
	}
	first.Write(make([]byte, 1000))
	first.Finish()
	if _, ok := r.Progress("third", 10).(*ttyBar); !ok {
		t.Error("no bar after the first finished")
	}
}

func TestReporterPlainInCIAndQuiet(t *testing.T) {
	var buf bytes.Buffer
	for _, r := range []*terminalReporter{{w: &buf}, {w: &buf, tty: true, quiet: true}} {
		if _, ok := r.Progress("x", 10).(plainBar); !ok {
			t.Errorf("reporter %+v drew a bar", r)
		}
	}
	q := &terminalReporter{w: &buf, quiet: true}
	q.Infof("progress")
	if buf.Len() != 0 {
		t.Errorf("--quiet printed %q", buf.String())
	}
	gh := &terminalReporter{w: &buf, github: true}
	gh.Warnf("careful: %d%%", 50)
	if got := buf.String(); got != "::warning::careful: 50%25\n" {
		t.Errorf("GitHub warning = %q", got)
	}
}

func TestOneReporterPerInvocation(t *testing.T) {
	var buf bytes.Buffer
	s := &Streams{Err: &buf, Getenv: func(string) string { return "" }}
	g := &globalOptions{}
	first, second := newReporter(s, g), newReporter(s, g)
	if first != second {
		t.Error("two reporters in one invocation: their bars and lines would not be serialized")
	}
}
