package prepare

import (
	"context"
	"errors"
	"fmt"
	"github.com/nize/nizepack/bundle"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/nize/nizepack/internal/smoke"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/sidecars"
	"github.com/nize/nizepack/target"
)

// recorder is a report.Reporter that keeps the lines and groups it was given.
type recorder struct {
	report.Nop
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Infof(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *recorder) Group(name string) func() {
	r.Infof("group %s", name)
	return func() { r.Infof("end %s", name) }
}

// fake is a step that records that it ran and does what it is told.
type fake struct {
	name    string
	skip    string
	written []string
	bytes   int64
	detail  string
	err     error
}

func fakeSteps(ran *[]string, fakes ...fake) []step {
	var out []step
	for _, f := range fakes {
		s := step{name: f.name, run: func(_ *state, r *StepResult) error {
			*ran = append(*ran, f.name)
			r.Written, r.Bytes, r.Detail = f.written, f.bytes, f.detail
			return f.err
		}}
		if f.skip != "" {
			s.skip = func(*state) string { return f.skip }
		}
		out = append(out, s)
	}
	return out
}

func mustTarget(t *testing.T, name string) target.Target {
	tg, err := target.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func names(steps []StepResult) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Name)
	}
	return out
}

// The step logic: order, skipping, the failing step named and nothing after it, the summary's
// details and counts.
func TestRunSteps(t *testing.T) {
	boom := errors.New("boom")
	for _, c := range []struct {
		name      string
		fakes     []fake
		ran       []string // the steps whose run was called, in order
		summary   []string // the steps in the summary, in order
		failed    string   // the step a *StepError names ("" for none)
		details   map[string]string
		skipped   map[string]string
		written   []string
		bytes     map[string]int64
		infoLines []string // lines the reporter must have got
	}{
		{
			name:    "every step runs in order",
			fakes:   []fake{{name: "a", written: []string{"x", "y"}, bytes: 30}, {name: "b"}, {name: "c", detail: "3 paths checked"}},
			ran:     []string{"a", "b", "c"},
			summary: []string{"a", "b", "c"},
			details: map[string]string{"a": "", "b": "up to date", "c": "3 paths checked"},
			written: []string{"x", "y"},
			bytes:   map[string]int64{"a": 30},
		},
		{
			name:      "a skipped step is recorded with its reason and not run",
			fakes:     []fake{{name: "a"}, {name: "b", skip: "--skip-b"}, {name: "c", written: []string{"z"}}},
			ran:       []string{"a", "c"},
			summary:   []string{"a", "b", "c"},
			skipped:   map[string]string{"b": "--skip-b"},
			written:   []string{"z"},
			infoLines: []string{"b: skipped: --skip-b"},
		},
		{
			name:    "the first failing step ends the run and is named",
			fakes:   []fake{{name: "a", written: []string{"x"}}, {name: "b", written: []string{"half"}, err: boom}, {name: "c"}},
			ran:     []string{"a", "b"},
			summary: []string{"a", "b"},
			failed:  "b",
			written: []string{"x", "half"},
		},
		{
			name:    "a failure after a skip",
			fakes:   []fake{{name: "a", skip: "not asked for"}, {name: "b", err: boom}},
			ran:     []string{"b"},
			summary: []string{"a", "b"},
			failed:  "b",
			skipped: map[string]string{"a": "not asked for"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ran []string
			rep := &recorder{}
			sum, err := run(context.Background(), Options{Target: mustTarget(t, "linux-x86_64"), TauriDir: "app", Report: rep}, fakeSteps(&ran, c.fakes...))
			if !reflect.DeepEqual(ran, c.ran) {
				t.Errorf("ran %q, want %q", ran, c.ran)
			}
			if sum == nil {
				t.Fatal("no summary")
			}
			if got := names(sum.Steps); !reflect.DeepEqual(got, c.summary) {
				t.Errorf("summary steps %q, want %q", got, c.summary)
			}
			if sum.Platform != "linux-x86_64" || sum.Triple != "x86_64-unknown-linux-gnu" {
				t.Errorf("summary of %s (%s)", sum.Platform, sum.Triple)
			}
			var se *StepError
			switch {
			case c.failed == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case c.failed != "" && (!errors.As(err, &se) || se.Step != c.failed || !errors.Is(err, boom)):
				t.Errorf("err = %v, want a *StepError for %s wrapping boom", err, c.failed)
			case c.failed != "":
				if want := "prepare: step " + c.failed + " failed: boom"; err.Error() != want {
					t.Errorf("err = %q, want %q", err, want)
				}
				last := sum.Steps[len(sum.Steps)-1]
				if last.Name != c.failed || last.Error != "boom" {
					t.Errorf("last step %+v, want %s with its error", last, c.failed)
				}
			}
			for _, st := range sum.Steps {
				if want, ok := c.details[st.Name]; ok && st.Detail != want {
					t.Errorf("%s: detail %q, want %q", st.Name, st.Detail, want)
				}
				if st.Skipped != c.skipped[st.Name] {
					t.Errorf("%s: skipped %q, want %q", st.Name, st.Skipped, c.skipped[st.Name])
				}
				if st.Bytes != c.bytes[st.Name] {
					t.Errorf("%s: bytes %d, want %d", st.Name, st.Bytes, c.bytes[st.Name])
				}
				if st.Skipped != "" && st.Duration != 0 {
					t.Errorf("%s: skipped but took %s", st.Name, st.Duration)
				}
			}
			if got := sum.Written(); !reflect.DeepEqual(got, c.written) {
				t.Errorf("Written() = %q, want %q", got, c.written)
			}
			if sum.Total < 0 { // 0 is possible: Windows' clock can be that coarse for fake steps
				t.Errorf("total %s", sum.Total)
			}
			all := strings.Join(rep.lines, "\n")
			for _, l := range c.infoLines {
				if !strings.Contains(all, l) {
					t.Errorf("reporter lines %q lack %q", rep.lines, l)
				}
			}
			// Each step that ran is one group, named with the platform.
			for _, name := range c.ran {
				if !strings.Contains(all, "group prepare linux-x86_64: "+name+"\nend prepare linux-x86_64: "+name) {
					t.Errorf("reporter lines %q lack the group of %s", rep.lines, name)
				}
			}
		})
	}
}

// prepare's own stages, in the order each later one reads what the earlier ones wrote; the
// sidecars step skips without sidecar options, smoke without smoke options or for a platform
// this machine cannot run.
func TestStepsAndTheirSkips(t *testing.T) {
	if got, want := stepNames(steps), []string{StepTauri, StepFetch, StepBundle, StepBundles, StepSidecars, StepVerify, StepSmoke}; !reflect.DeepEqual(got, want) {
		t.Fatalf("steps %q, want %q", got, want)
	}
	host, err := target.Host()
	if err != nil {
		t.Skip(err)
	}
	other := mustTarget(t, "windows-arm64")
	if host.Name == other.Name {
		other = mustTarget(t, "linux-x86_64")
	}
	for _, c := range []struct {
		name string
		opts Options
		want map[string]string // step → skip reason (a prefix); a step not named runs
	}{
		{"everything", Options{Target: host, Sidecars: &sidecars.Options{}, Smoke: &smoke.Options{}, Bundles: []bundle.Options{{}}}, nil},
		{"before the Rust build, no smoke, no other bundles", Options{Target: host},
			map[string]string{StepBundles: "none declared (nizepack.json)", StepSidecars: "--skip-sidecars", StepSmoke: "not asked for (--smoke)"}},
		{"smoke of another platform", Options{Target: other, Sidecars: &sidecars.Options{}, Smoke: &smoke.Options{}, Bundles: []bundle.Options{{}}},
			map[string]string{StepSmoke: "not runnable here, not tested: "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &state{opts: c.opts}
			for _, s := range steps {
				got := ""
				if s.skip != nil {
					got = s.skip(st)
				}
				want := c.want[s.name]
				if (want == "") != (got == "") || !strings.HasPrefix(got, want) {
					t.Errorf("%s: skip %q, want %q", s.name, got, want)
				}
			}
		})
	}
}

func stepNames(steps []step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.name)
	}
	return out
}

// Run with the real steps on a Tauri dir that has no config: the tauri step fails first and is
// named, nothing later runs or writes (no download, no bundle), and the outputs default to the
// Tauri dir's binaries/ and resources/pglite/.
func TestRunStopsAtTheFirstRealStep(t *testing.T) {
	dir := t.TempDir()
	sum, err := Run(context.Background(), Options{Target: mustTarget(t, "linux-x86_64"), TauriDir: dir, Sidecars: &sidecars.Options{}, Smoke: &smoke.Options{}})
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepTauri {
		t.Fatalf("err = %v, want a *StepError of the tauri step", err)
	}
	if got := names(sum.Steps); !reflect.DeepEqual(got, []string{StepTauri}) {
		t.Errorf("summary steps %q, want only tauri", got)
	}
	if sum.Steps[0].Error == "" || len(sum.Written()) != 0 {
		t.Errorf("tauri step %+v, want its error and nothing written", sum.Steps[0])
	}
	for _, sub := range []string{"binaries", filepath.Join("resources", "pglite")} {
		if _, err := os.Stat(filepath.Join(dir, sub)); !os.IsNotExist(err) {
			t.Errorf("%s exists after a failed tauri step: %v", sub, err)
		}
	}
}

func TestVerifyErrorSaysHowMany(t *testing.T) {
	if got := (&VerifyError{Problems: 2}).Error(); got != "2 problem(s) stand between this tree and `tauri build`" {
		t.Errorf("VerifyError = %q", got)
	}
}
