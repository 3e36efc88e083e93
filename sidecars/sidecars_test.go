package sidecars

import (
	"context"
	"debug/macho"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nize/nizepack/internal/binfmt"
	"github.com/nize/nizepack/internal/fakebin"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

const conf = `{"identifier": "x", "bundle": {"externalBin": ["binaries/nize_api_server", "binaries/node", "binaries/nize_terminator"]}}`

func setup(t *testing.T) (app, ctd string, p *tauri.Project) {
	t.Helper()
	app = t.TempDir()
	ctd = filepath.Join(app, "target")
	tdir := filepath.Join(app, "src-tauri")
	os.MkdirAll(tdir, 0o755)
	os.WriteFile(filepath.Join(tdir, "tauri.conf.json"), []byte(conf), 0o644)
	p, err := tauri.OpenDir(tdir)
	if err != nil {
		t.Fatal(err)
	}
	return app, ctd, p
}

func build(t *testing.T, ctd, dir, name string, tg target.Target) string {
	t.Helper()
	exe, err := fakebin.Executable(tg.GOOS, tg.GOARCH, name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(ctd, dir, "release", name+tg.Exe())
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, exe, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustTarget(t *testing.T, name string) target.Target {
	tg, err := target.Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestInstallEachSingleTarget(t *testing.T) {
	for _, tg := range target.Single() {
		_, ctd, p := setup(t)
		for _, n := range []string{"nize_api_server", "nize_terminator"} {
			build(t, ctd, tg.Triple, n, tg)
		}
		other := target.Target{Triple: "none"} // no host fallback
		got, err := Install(context.Background(), Options{Exclude: []string{"node"}, Project: p, Target: tg, CargoTargetDir: ctd, Host: &other})
		if err != nil {
			t.Fatalf("%s: %v", tg.Name, err)
		}
		if len(got) != 2 {
			t.Fatalf("%s: installed %v", tg.Name, got)
		}
		for _, n := range []string{"nize_api_server", "nize_terminator"} {
			dst := filepath.Join(p.Dir, "binaries", n+"-"+tg.Triple+tg.Exe())
			st, err := os.Stat(dst)
			if err != nil {
				t.Fatalf("%s: %v", tg.Name, err)
			}
			if runtime.GOOS != "windows" && st.Mode().Perm() != 0o755 {
				t.Errorf("%s mode %v", dst, st.Mode().Perm())
			}
			info, _ := binfmt.IdentifyFile(dst)
			if binfmt.Check(info, tg) != nil {
				t.Errorf("%s is %v", dst, info)
			}
		}
		if _, err := os.Stat(filepath.Join(p.Dir, "binaries", "node-"+tg.Triple+tg.Exe())); err == nil {
			t.Errorf("node was installed by sidecars")
		}
	}
}

func TestUniversal(t *testing.T) {
	_, ctd, p := setup(t)
	arm, x86 := mustTarget(t, "macos-arm64"), mustTarget(t, "macos-x86_64")
	for _, n := range []string{"nize_api_server", "nize_terminator"} {
		build(t, ctd, arm.Triple, n, arm)
		build(t, ctd, x86.Triple, n, x86)
	}
	got, err := Install(context.Background(), Options{Exclude: []string{"node"}, Project: p, Target: mustTarget(t, "macos-universal"), CargoTargetDir: ctd, Bins: []string{"nize_api_server"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("installed %v, want arm64, x86_64 and fat", got)
	}
	fat := filepath.Join(p.Dir, "binaries", "nize_api_server-universal-apple-darwin")
	ff, err := macho.OpenFat(fat)
	if err != nil {
		t.Fatalf("OpenFat: %v", err)
	}
	defer ff.Close()
	if len(ff.Arches) != 2 || ff.Arches[0].Cpu != macho.CpuArm64 || ff.Arches[1].Cpu != macho.CpuAmd64 {
		t.Errorf("arches %+v", ff.Arches)
	}
	for _, f := range []string{"nize_api_server-aarch64-apple-darwin", "nize_api_server-x86_64-apple-darwin"} {
		if _, err := os.Stat(filepath.Join(p.Dir, "binaries", f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "binaries", "nize_terminator-universal-apple-darwin")); err == nil {
		t.Error("--bin did not limit the sidecars")
	}
}

func TestHostFallback(t *testing.T) {
	_, ctd, p := setup(t)
	tg := mustTarget(t, "linux-x86_64")
	for _, n := range []string{"nize_api_server", "nize_terminator"} {
		build(t, ctd, "", n, tg) // target/release/<name>
	}
	if _, err := Install(context.Background(), Options{Exclude: []string{"node"}, Project: p, Target: tg, CargoTargetDir: ctd, Host: &tg}); err != nil {
		t.Fatal(err)
	}
	other := mustTarget(t, "linux-arm64")
	_, err := Install(context.Background(), Options{Exclude: []string{"node"}, Project: p, Target: tg, CargoTargetDir: ctd, Host: &other})
	nb := notBuilt(err)
	if len(nb) != 2 || strings.Join(nb[0].Cargo, " ") != "cargo build --release --target x86_64-unknown-linux-gnu --bin nize_api_server" {
		t.Errorf("without host fallback: %v", err)
	}
}

// Problems are all reported, and nothing is written when any source is bad.
func TestProblemsWriteNothing(t *testing.T) {
	_, ctd, p := setup(t)
	tg := mustTarget(t, "linux-arm64")
	build(t, ctd, tg.Triple, "nize_api_server", mustTarget(t, "linux-x86_64")) // wrong CPU
	other := mustTarget(t, "windows-x86_64")
	_, err := Install(context.Background(), Options{Exclude: []string{"node"}, Project: p, Target: tg, CargoTargetDir: ctd, Host: &other, Profile: "dev"})
	if err == nil {
		t.Fatal("no error")
	}
	// dev profile looks in debug/, and says so.
	nb := notBuilt(err)
	if len(nb) != 2 || nb[0].Looked[0] != filepath.Join(ctd, tg.Triple, "debug", "nize_api_server") || strings.Join(nb[1].Cargo, " ") != "cargo build --target aarch64-unknown-linux-gnu --bin nize_terminator" {
		t.Errorf("err = %v", err)
	}
	_, err = Install(context.Background(), Options{Exclude: []string{"node"}, Project: p, Target: tg, CargoTargetDir: ctd, Host: &other})
	var wrong *WrongBinaryError
	if !errors.As(err, &wrong) || !strings.Contains(wrong.Error(), "is ELF amd64, but linux-arm64 needs ELF arm64") || len(notBuilt(err)) != 1 {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "binaries")); err == nil {
		t.Error("binaries/ was created despite the problems")
	}
}

// notBuilt collects the *NotBuiltError problems of Install's joined error, in order.
func notBuilt(err error) []*NotBuiltError {
	var out []*NotBuiltError
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	for _, e := range joined.Unwrap() {
		var nb *NotBuiltError
		if errors.As(e, &nb) {
			out = append(out, nb)
		}
	}
	return out
}

func TestNoSidecarsBesidesExcluded(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tauri.conf.json"), []byte(`{"identifier": "x", "bundle": {"externalBin": ["binaries/node"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := tauri.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Install(context.Background(), Options{Exclude: []string{"node"}, Project: p, Target: mustTarget(t, "linux-x86_64")})
	var none *NoSidecarsError
	if !errors.As(err, &none) || none.Config != p.Base.Path || strings.Join(none.Excluded, ",") != "node" {
		t.Errorf("err = %v", err)
	}
}

// lines records a reporter's Infof lines.
type lines struct {
	report.Nop
	got []string
}

func (l *lines) Infof(format string, args ...any) {
	l.got = append(l.got, fmt.Sprintf(format, args...))
}

// With both the triple dir and, for a host build, <target dir>/<profile>/ holding the binary, the
// newer one is installed and the result and the progress say which and why; a tie keeps the
// triple dir. Only the host's triple (per slice for macos-universal) looks in <profile>/.
func TestNewerBuildWins(t *testing.T) {
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	type file struct {
		dir  string        // "triple" or "plain" (<target dir>/release/)
		arch string        // the slice's platform name
		age  time.Duration // mtime = base - age
	}
	type want struct {
		dir    string        // where Source is: "triple" or "plain"
		newer  time.Duration // Choice.Newer; -1 for no Choice
		reason string
	}
	const triple = "target/x86_64-unknown-linux-gnu/release"
	tests := []struct {
		name, target, host string
		files              []file
		want               map[string]want // by Installed.Target; the fat file is not checked
	}{
		{"only the triple dir", "linux-x86_64", "linux-x86_64",
			[]file{{"triple", "linux-x86_64", 0}},
			map[string]want{"linux-x86_64": {"triple", -1, ""}}},
		{"only target/release", "linux-x86_64", "linux-x86_64",
			[]file{{"plain", "linux-x86_64", 0}},
			map[string]want{"linux-x86_64": {"plain", -1, ""}}},
		{"target/release newer", "linux-x86_64", "linux-x86_64",
			[]file{{"triple", "linux-x86_64", 2 * time.Hour}, {"plain", "linux-x86_64", 0}},
			map[string]want{"linux-x86_64": {"plain", 2 * time.Hour, "from target/release (newer than " + triple + " by 2h)"}}},
		{"triple dir newer", "linux-x86_64", "linux-x86_64",
			[]file{{"triple", "linux-x86_64", 0}, {"plain", "linux-x86_64", 90 * time.Second}},
			map[string]want{"linux-x86_64": {"triple", 90 * time.Second, "from " + triple + " (newer than target/release by 1m30s)"}}},
		{"equal times keep the triple dir", "linux-x86_64", "linux-x86_64",
			[]file{{"triple", "linux-x86_64", time.Minute}, {"plain", "linux-x86_64", time.Minute}},
			map[string]want{"linux-x86_64": {"triple", 0, "from " + triple + " (target/release holds one with the same modification time; the triple dir wins a tie)"}}},
		{"not the host: target/release is not looked at", "linux-x86_64", "linux-arm64",
			[]file{{"triple", "linux-x86_64", 2 * time.Hour}, {"plain", "linux-x86_64", 0}},
			map[string]want{"linux-x86_64": {"triple", -1, ""}}},
		{"universal: the host's slice only", "macos-universal", "macos-arm64",
			[]file{
				{"triple", "macos-arm64", 3 * time.Hour}, {"plain", "macos-arm64", 0},
				{"triple", "macos-x86_64", 5 * time.Hour},
			},
			map[string]want{
				"macos-arm64":  {"plain", 3 * time.Hour, "from target/release (newer than target/aarch64-apple-darwin/release by 3h)"},
				"macos-x86_64": {"triple", -1, ""},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, ctd, p := setup(t)
			for _, f := range tc.files {
				arch := mustTarget(t, f.arch)
				dir := arch.Triple
				if f.dir == "plain" {
					dir = ""
				}
				src := build(t, ctd, dir, "nize_api_server", arch)
				mt := base.Add(-f.age)
				if err := os.Chtimes(src, mt, mt); err != nil {
					t.Fatal(err)
				}
			}
			host := mustTarget(t, tc.host)
			rep := &lines{}
			got, err := Install(context.Background(), Options{Bins: []string{"nize_api_server"}, Project: p, Target: mustTarget(t, tc.target), CargoTargetDir: ctd, Host: &host, Reporter: rep})
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, in := range got {
				w, ok := tc.want[in.Target]
				if !ok {
					continue
				}
				checked++
				arch := mustTarget(t, in.Target)
				wantSrc := filepath.Join(ctd, arch.Triple, "release", "nize_api_server")
				other := filepath.Join(ctd, "release", "nize_api_server")
				if w.dir == "plain" {
					wantSrc, other = other, wantSrc
				}
				if in.Source != wantSrc {
					t.Errorf("%s: source %s, want %s", in.Target, in.Source, wantSrc)
				}
				if w.newer < 0 {
					if in.Choice != nil {
						t.Errorf("%s: choice %+v, want none", in.Target, in.Choice)
					}
					continue
				}
				// Reason names the dirs as given: here relative to the app.
				wantReason := strings.ReplaceAll(w.reason, "target/", filepath.Join(app, "target")+"/")
				if in.Choice == nil || in.Choice.Other != other || in.Choice.Newer != w.newer || filepath.ToSlash(in.Choice.Reason) != filepath.ToSlash(wantReason) {
					t.Errorf("%s: choice %+v, want other %s, newer %v, reason %q", in.Target, in.Choice, other, w.newer, wantReason)
				}
				said := false
				for _, l := range rep.got {
					said = said || strings.HasPrefix(l, "installing "+in.Source+" -> ") && strings.HasSuffix(l, ", "+in.Choice.Reason)
				}
				if !said {
					t.Errorf("%s: progress %q does not give the reason", in.Target, rep.got)
				}
			}
			if checked != len(tc.want) {
				t.Errorf("installed %+v, want %d checked", got, len(tc.want))
			}
		})
	}
}

func TestRoughly(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Hour:                         "2h",
		time.Hour + 30*time.Minute:            "1h30m",
		time.Hour + 5*time.Second:             "1h0m5s",
		time.Minute:                           "1m",
		90*time.Second + 400*time.Millisecond: "1m30s",
		45 * time.Second:                      "45s",
		1500 * time.Millisecond:               "2s",
		250 * time.Millisecond:                "250ms",
		1500 * time.Nanosecond:                "1.5µs",
	} {
		if got := roughly(d); got != want {
			t.Errorf("roughly(%v) = %q, want %q", d, got, want)
		}
	}
}
