package binfmt

import (
	"bytes"
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/nize/nizepack/internal/atomicfile"
)

// FatAlignLog2 is the alignment of every slice in a fat file nizepack writes: 2^14 (16 KiB),
// the page size of Apple silicon, as lipo uses for arm64.
const FatAlignLog2 = 14

const (
	fatMagic      = 0xcafebabe // FAT_MAGIC, big-endian
	fatHeaderSize = 8          // magic, nfat_arch
	fatArchSize   = 20         // cputype, cpusubtype, offset, size, align
)

// FatSlice is one thin Mach-O to put into a fat file: Size bytes readable from R.
type FatSlice struct {
	R    io.ReaderAt
	Size int64
}

// WriteFat writes a fat (universal) Mach-O made of the given thin Mach-O executables to w,
// like `lipo -create`: a big-endian fat header, one fat_arch per slice in the given order,
// each slice at an offset aligned to 2^14. Every slice must be a thin Mach-O and no two may
// have the same CPU type; the result reads back with debug/macho's NewFatFile and with
// binfmt.Identify as "Mach-O universal". Nothing is written to w when a slice is invalid.
//
// To write a file atomically with mode 0755, combine it with atomicfile:
//
//	err := atomicfile.Write(dst, 0o755, func(w io.Writer) error {
//		return binfmt.WriteFatFiles(w, arm64Path, x86Path)
//	})
func WriteFat(w io.Writer, slices ...[]byte) error {
	in := make([]FatSlice, len(slices))
	for i, s := range slices {
		in[i] = FatSlice{R: bytes.NewReader(s), Size: int64(len(s))}
	}
	return WriteFatSlices(w, in...)
}

// WriteFatFile makes path (mode 0755, atomically) the fat Mach-O of the thin files at paths, and
// leaves it alone when it already is exactly that. It reports whether it wrote. This is how a
// universal macOS binary is joined, for node and for the Rust sidecars alike.
func WriteFatFile(path string, paths ...string) (wrote bool, err error) {
	return atomicfile.WriteIfChanged(path, 0o755, func(w io.Writer) error { return WriteFatFiles(w, paths...) })
}

// WriteFatFiles is WriteFat for thin Mach-O files on disk; it streams them, so large binaries
// (a ~110 MB node) are never held in memory.
func WriteFatFiles(w io.Writer, paths ...string) error {
	var in []FatSlice
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("opening Mach-O slice: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("reading Mach-O slice %s: %w", p, err)
		}
		in = append(in, FatSlice{R: f, Size: st.Size()})
	}
	err := WriteFatSlices(w, in...)
	var se *FatSliceError
	if errors.As(err, &se) && se.Index < len(paths) {
		se.Name = paths[se.Index]
	}
	return err
}

// FatSliceError says which input of a fat file is not usable.
type FatSliceError struct {
	Index int    // position of the slice among the inputs
	Name  string // file name when known
	Err   error
}

func (e *FatSliceError) Error() string {
	name := e.Name
	if name == "" {
		name = fmt.Sprintf("slice %d", e.Index+1)
	}
	return fmt.Sprintf("%s: %v", name, e.Err)
}

func (e *FatSliceError) Unwrap() error { return e.Err }

// WriteFatSlices is WriteFat for slices given as readers (see WriteFat).
func WriteFatSlices(w io.Writer, slices ...FatSlice) error {
	if len(slices) == 0 {
		return errors.New("writing fat Mach-O: no slices given")
	}
	type arch struct {
		cpu, subcpu  uint32
		offset, size uint64
	}
	archs := make([]arch, len(slices))
	seen := map[uint32]int{}
	offset := alignUp(uint64(fatHeaderSize+fatArchSize*len(slices)), FatAlignLog2)
	for i, s := range slices {
		f, err := macho.NewFile(io.NewSectionReader(s.R, 0, s.Size))
		if err != nil {
			return &FatSliceError{Index: i, Err: fmt.Errorf("not a thin Mach-O executable: %w", err)}
		}
		cpu := uint32(f.Cpu)
		if j, dup := seen[cpu]; dup {
			return &FatSliceError{Index: i, Err: fmt.Errorf("has the same CPU (%s) as slice %d; a fat file needs one slice per CPU", machoArch(f.Cpu), j+1)}
		}
		seen[cpu] = i
		archs[i] = arch{cpu: cpu, subcpu: f.SubCpu, offset: offset, size: uint64(s.Size)}
		offset = alignUp(offset+uint64(s.Size), FatAlignLog2)
	}
	if last := archs[len(archs)-1]; last.offset+last.size > math.MaxUint32 {
		return errors.New("writing fat Mach-O: slices too large for a 32-bit fat header (over 4 GiB)")
	}

	hdr := make([]byte, fatHeaderSize+fatArchSize*len(archs))
	be := binary.BigEndian
	be.PutUint32(hdr[0:], fatMagic)
	be.PutUint32(hdr[4:], uint32(len(archs)))
	for i, a := range archs {
		b := hdr[fatHeaderSize+fatArchSize*i:]
		be.PutUint32(b[0:], a.cpu)
		be.PutUint32(b[4:], a.subcpu)
		be.PutUint32(b[8:], uint32(a.offset))
		be.PutUint32(b[12:], uint32(a.size))
		be.PutUint32(b[16:], FatAlignLog2)
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("writing fat Mach-O header: %w", err)
	}
	pos := uint64(len(hdr))
	for i, a := range archs {
		if err := writeZeros(w, a.offset-pos); err != nil {
			return fmt.Errorf("writing fat Mach-O padding: %w", err)
		}
		n, err := io.Copy(w, io.NewSectionReader(slices[i].R, 0, slices[i].Size))
		if err != nil {
			return fmt.Errorf("writing fat Mach-O slice %d: %w", i+1, err)
		}
		if uint64(n) != a.size {
			return fmt.Errorf("writing fat Mach-O slice %d: read %d of %d bytes", i+1, n, a.size)
		}
		pos = a.offset + a.size
	}
	return nil
}

func alignUp(n uint64, log2 uint) uint64 {
	a := uint64(1) << log2
	return (n + a - 1) &^ (a - 1)
}

func writeZeros(w io.Writer, n uint64) error {
	var zeros [4096]byte
	for n > 0 {
		k := min(n, uint64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
