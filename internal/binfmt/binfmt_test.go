package binfmt

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nize/nizepack/internal/fakebin"
	"github.com/nize/nizepack/target"
)

func TestIdentifyEachTarget(t *testing.T) {
	for _, tg := range target.Single() {
		exe, err := fakebin.Executable(tg.GOOS, tg.GOARCH, "v1.2.3\n")
		if err != nil {
			t.Fatal(err)
		}
		info, err := Identify(bytes.NewReader(exe))
		if err != nil {
			t.Fatalf("%s: %v", tg.Name, err)
		}
		if err := Check(info, tg); err != nil {
			t.Errorf("%s: %v", tg.Name, err)
		}
		// Every other single target must reject it.
		for _, other := range target.Single() {
			if other.Name != tg.Name && Check(info, other) == nil {
				t.Errorf("%s binary accepted for %s", tg.Name, other.Name)
			}
		}
	}
}

func TestCheckMessage(t *testing.T) {
	exe, _ := fakebin.Executable("linux", "arm64", "")
	info, _ := Identify(bytes.NewReader(exe))
	tg, _ := target.Parse("linux-x86_64")
	err := Check(info, tg)
	if err == nil || !strings.Contains(err.Error(), "ELF arm64") || !strings.Contains(err.Error(), "ELF amd64") {
		t.Errorf("err = %v", err)
	}
}

func TestIdentifyRejectsGarbage(t *testing.T) {
	for _, junk := range [][]byte{nil, []byte("#!/bin/sh\necho hi\n"), []byte("\x7fELF")} {
		if _, err := Identify(bytes.NewReader(junk)); err == nil {
			t.Errorf("Identify(%q) succeeded", junk)
		}
	}
}

func TestLinuxAmd64FakeRuns(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("runs only on linux/amd64")
	}
	exe, _ := fakebin.Executable("linux", "amd64", "v24.21.0\n")
	p := filepath.Join(t.TempDir(), "node")
	os.WriteFile(p, exe, 0o755)
	out, err := exec.Command(p, "--version").Output()
	if err != nil || string(out) != "v24.21.0\n" {
		t.Fatalf("running fake node: %q, %v", out, err)
	}
}
