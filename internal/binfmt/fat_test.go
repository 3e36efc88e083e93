package binfmt

import (
	"bytes"
	"debug/macho"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nize/nizepack/internal/fakebin"
	"github.com/nize/nizepack/target"
)

func fake(t *testing.T, goos, goarch, msg string) []byte {
	t.Helper()
	b, err := fakebin.Executable(goos, goarch, msg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteFatReadsBack(t *testing.T) {
	arm := fake(t, "darwin", "arm64", "arm slice")
	x86 := fake(t, "darwin", "amd64", "x86 slice, a little longer")
	var buf bytes.Buffer
	if err := WriteFat(&buf, arm, x86); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()

	// The header is big-endian FAT_MAGIC with two archs aligned to 2^14.
	if got := binary.BigEndian.Uint32(data); got != 0xcafebabe {
		t.Fatalf("magic = %#x", got)
	}
	if got := binary.BigEndian.Uint32(data[4:]); got != 2 {
		t.Fatalf("nfat_arch = %d", got)
	}

	ff, err := macho.NewFatFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("NewFatFile: %v", err)
	}
	if len(ff.Arches) != 2 {
		t.Fatalf("%d arches", len(ff.Arches))
	}
	want := []struct {
		cpu  macho.Cpu
		body []byte
	}{{macho.CpuArm64, arm}, {macho.CpuAmd64, x86}}
	for i, a := range ff.Arches {
		if a.Cpu != want[i].cpu {
			t.Errorf("arch %d cpu = %v, want %v", i, a.Cpu, want[i].cpu)
		}
		if a.Align != FatAlignLog2 || a.Offset%(1<<FatAlignLog2) != 0 {
			t.Errorf("arch %d align=%d offset=%d, want 2^14-aligned", i, a.Align, a.Offset)
		}
		if int(a.Size) != len(want[i].body) || !bytes.Equal(data[a.Offset:a.Offset+a.Size], want[i].body) {
			t.Errorf("arch %d bytes differ from the input slice", i)
		}
	}
	if ff.Arches[0].Offset != 1<<14 || ff.Arches[1].Offset != 2<<14 {
		t.Errorf("offsets %d, %d", ff.Arches[0].Offset, ff.Arches[1].Offset)
	}
	if len(data) != 2<<14+len(x86) {
		t.Errorf("file is %d bytes, want %d (no trailing padding)", len(data), 2<<14+len(x86))
	}

	// binfmt.Identify and Check agree it is what macos-universal needs.
	info, err := Identify(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	uni, _ := target.Parse("macos-universal")
	if err := Check(info, uni); err != nil {
		t.Errorf("Check(universal): %v", err)
	}
	arm64, _ := target.Parse("macos-arm64")
	if Check(info, arm64) == nil {
		t.Error("a fat file was accepted as a thin arm64 one")
	}
}

func TestWriteFatFilesMatchesWriteFat(t *testing.T) {
	dir := t.TempDir()
	arm := fake(t, "darwin", "arm64", "a")
	x86 := fake(t, "darwin", "amd64", "b")
	pa, px := filepath.Join(dir, "a"), filepath.Join(dir, "x")
	os.WriteFile(pa, arm, 0o755)
	os.WriteFile(px, x86, 0o755)
	var fromFiles, fromBytes bytes.Buffer
	if err := WriteFatFiles(&fromFiles, px, pa); err != nil {
		t.Fatal(err)
	}
	if err := WriteFat(&fromBytes, x86, arm); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromFiles.Bytes(), fromBytes.Bytes()) {
		t.Error("WriteFatFiles and WriteFat differ")
	}
	ff, err := macho.OpenFat(writeTemp(t, fromFiles.Bytes()))
	if err != nil {
		t.Fatalf("OpenFat: %v", err)
	}
	defer ff.Close()
	if ff.Arches[0].Cpu != macho.CpuAmd64 || ff.Arches[1].Cpu != macho.CpuArm64 {
		t.Errorf("slice order not kept: %v, %v", ff.Arches[0].Cpu, ff.Arches[1].Cpu)
	}
}

func writeTemp(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "fat")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteFatRejects(t *testing.T) {
	arm := fake(t, "darwin", "arm64", "a")
	arm2 := fake(t, "darwin", "arm64", "other")
	elf := fake(t, "linux", "amd64", "a")
	var fat bytes.Buffer
	if err := WriteFat(&fat, arm, fake(t, "darwin", "amd64", "x")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		slices [][]byte
		want   string
	}{
		{"none", nil, "no slices"},
		{"elf", [][]byte{arm, elf}, "slice 2: not a thin Mach-O"},
		{"duplicate cpu", [][]byte{arm, arm2}, "same CPU (arm64) as slice 1"},
		{"fat inside fat", [][]byte{fat.Bytes()}, "slice 1: not a thin Mach-O"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		err := WriteFat(&out, c.slices...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: wrote %d bytes despite the error", c.name, out.Len())
		}
	}
	// A file name is named in the error.
	dir := t.TempDir()
	p := filepath.Join(dir, "node-x86_64-unknown-linux-gnu")
	os.WriteFile(p, elf, 0o755)
	err := WriteFatFiles(io.Discard, p)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("WriteFatFiles err = %v, want it to name %s", err, p)
	}
}
