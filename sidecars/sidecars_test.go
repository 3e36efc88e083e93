package sidecars

import (
	"context"
	"debug/macho"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nize/nizepack/internal/binfmt"
	"github.com/nize/nizepack/internal/fakebin"
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
