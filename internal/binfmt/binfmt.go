// Package binfmt identifies an executable's format and CPU (ELF, Mach-O thin or fat, PE) so
// nizepack never installs a binary for the wrong target.
package binfmt

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/nize/nizepack/target"
)

// Info describes an executable.
type Info struct {
	Format string   // "ELF", "Mach-O", "Mach-O universal" or "PE"
	GOOS   string   // linux, darwin or windows
	Arches []string // GOARCH names; more than one only for a fat Mach-O
}

func (i Info) String() string {
	return fmt.Sprintf("%s %s", i.Format, strings.Join(i.Arches, "+"))
}

// ErrUnknownFormat means the bytes are not an ELF, Mach-O or PE executable.
var ErrUnknownFormat = errors.New("not an ELF, Mach-O or PE executable")

// Identify reads the headers of an executable.
func Identify(r io.ReaderAt) (Info, error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return Info{}, ErrUnknownFormat
	}
	switch {
	case string(magic[:]) == elf.ELFMAG:
		f, err := elf.NewFile(r)
		if err != nil {
			return Info{}, fmt.Errorf("reading ELF header: %w", err)
		}
		return Info{Format: "ELF", GOOS: "linux", Arches: []string{elfArch(f.Machine)}}, nil
	case magic[0] == 'M' && magic[1] == 'Z':
		f, err := pe.NewFile(r)
		if err != nil {
			return Info{}, fmt.Errorf("reading PE header: %w", err)
		}
		return Info{Format: "PE", GOOS: "windows", Arches: []string{peArch(f.Machine)}}, nil
	}
	if ff, err := macho.NewFatFile(r); err == nil {
		info := Info{Format: "Mach-O universal", GOOS: "darwin"}
		for _, a := range ff.Arches {
			info.Arches = append(info.Arches, machoArch(a.Cpu))
		}
		return info, nil
	}
	if f, err := macho.NewFile(r); err == nil {
		return Info{Format: "Mach-O", GOOS: "darwin", Arches: []string{machoArch(f.Cpu)}}, nil
	}
	return Info{}, ErrUnknownFormat
}

// IdentifyFile is Identify on a file.
func IdentifyFile(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	return Identify(f)
}

// Check returns an error unless info is an executable for t: the right format and CPU, and for a
// universal target a fat Mach-O holding every slice.
func Check(info Info, t target.Target) error {
	want := Expected(t)
	if info.Format != want.Format || !sameSet(info.Arches, want.Arches) {
		return fmt.Errorf("is %s, but %s needs %s", info, t.Name, want)
	}
	return nil
}

// Expected is what an executable for t looks like.
func Expected(t target.Target) Info {
	if t.Universal() {
		info := Info{Format: "Mach-O universal", GOOS: "darwin"}
		for _, s := range t.SliceTargets() {
			info.Arches = append(info.Arches, s.GOARCH)
		}
		return info
	}
	format := map[string]string{"linux": "ELF", "darwin": "Mach-O", "windows": "PE"}[t.GOOS]
	return Info{Format: format, GOOS: t.GOOS, Arches: []string{t.GOARCH}}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func elfArch(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	}
	return strings.ToLower(strings.TrimPrefix(m.String(), "EM_"))
}

func peArch(m uint16) string {
	switch m {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return "amd64"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "arm64"
	}
	return fmt.Sprintf("machine-0x%x", m)
}

func machoArch(c macho.Cpu) string {
	switch c {
	case macho.CpuAmd64:
		return "amd64"
	case macho.CpuArm64:
		return "arm64"
	}
	return strings.ToLower(c.String())
}
