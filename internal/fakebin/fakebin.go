// Package fakebin makes tiny but real executables of each target's format and CPU, for tests
// and local mirrors: their headers parse with debug/elf, debug/macho and debug/pe, and the
// linux/amd64 one really runs, printing a fixed message (e.g. "v24.21.0\n") and exiting 0.
package fakebin

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Executable returns a tiny executable for goos/goarch that prints msg when run (on linux/amd64).
func Executable(goos, goarch, msg string) ([]byte, error) {
	switch goos {
	case "linux":
		return elfExe(goarch, msg)
	case "darwin":
		return machoExe(goarch, msg)
	case "windows":
		return peExe(goarch, msg)
	}
	return nil, fmt.Errorf("fakebin: unsupported GOOS %q", goos)
}

// x86-64 Linux: write(1, msg, len(msg)); exit(0); msg.
func amd64Code(msg string) []byte {
	code := []byte{
		0xb8, 1, 0, 0, 0, // mov eax, 1 (write)
		0xbf, 1, 0, 0, 0, // mov edi, 1
		0x48, 0x8d, 0x35, 16, 0, 0, 0, // lea rsi, [rip+16] -> msg
		0xba, 0, 0, 0, 0, // mov edx, len
		0x0f, 0x05, // syscall
		0xb8, 60, 0, 0, 0, // mov eax, 60 (exit)
		0x31, 0xff, // xor edi, edi
		0x0f, 0x05, // syscall
	}
	binary.LittleEndian.PutUint32(code[18:], uint32(len(msg)))
	return append(code, msg...)
}

func elfExe(goarch, msg string) ([]byte, error) {
	machine := map[string]uint16{"amd64": 62, "arm64": 183}[goarch]
	if machine == 0 {
		return nil, fmt.Errorf("fakebin: unsupported linux arch %q", goarch)
	}
	const base, ehsize, phsize = 0x400000, 64, 56
	code := amd64Code(msg)
	total := uint64(ehsize + phsize + len(code))
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}) // 64-bit, little-endian, version 1, SysV
	b.Write(make([]byte, 8))
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	le(uint16(2))                      // ET_EXEC
	le(machine)                        // e_machine
	le(uint32(1))                      // e_version
	le(uint64(base + ehsize + phsize)) // e_entry
	le(uint64(ehsize))                 // e_phoff
	le(uint64(0))                      // e_shoff
	le(uint32(0))                      // e_flags
	le(uint16(ehsize))                 // e_ehsize
	le(uint16(phsize))                 // e_phentsize
	le(uint16(1))                      // e_phnum
	le(uint16(64))                     // e_shentsize
	le(uint16(0))                      // e_shnum
	le(uint16(0))                      // e_shstrndx
	// PT_LOAD of the whole file, read+execute.
	le(uint32(1))
	le(uint32(5))
	le(uint64(0))
	le(uint64(base))
	le(uint64(base))
	le(total)
	le(total)
	le(uint64(0x1000))
	b.Write(code)
	return b.Bytes(), nil
}

func machoExe(goarch, msg string) ([]byte, error) {
	cpu := map[string]uint32{"amd64": 0x01000007, "arm64": 0x0100000c}[goarch]
	if cpu == 0 {
		return nil, fmt.Errorf("fakebin: unsupported darwin arch %q", goarch)
	}
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	le(uint32(0xfeedfacf)) // MH_MAGIC_64
	le(cpu)
	le(uint32(3)) // CPU_SUBTYPE_ALL (x86_64) / arm64 uses 0; both parse
	le(uint32(2)) // MH_EXECUTE
	le(uint32(0)) // ncmds
	le(uint32(0)) // sizeofcmds
	le(uint32(0)) // flags
	le(uint32(0)) // reserved
	b.WriteString(msg)
	return b.Bytes(), nil
}

func peExe(goarch, msg string) ([]byte, error) {
	machine := map[string]uint16{"amd64": 0x8664, "arm64": 0xaa64}[goarch]
	if machine == 0 {
		return nil, fmt.Errorf("fakebin: unsupported windows arch %q", goarch)
	}
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	dos := make([]byte, 64)
	dos[0], dos[1] = 'M', 'Z'
	binary.LittleEndian.PutUint32(dos[0x3c:], 64) // e_lfanew
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	const optSize = 240 // PE32+ optional header with 16 data directories
	le(machine)
	le(uint16(0))       // NumberOfSections
	le(uint32(0))       // TimeDateStamp
	le(uint32(0))       // PointerToSymbolTable
	le(uint32(0))       // NumberOfSymbols
	le(uint16(optSize)) // SizeOfOptionalHeader
	le(uint16(0x22))    // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE
	opt := make([]byte, optSize)
	binary.LittleEndian.PutUint16(opt[0:], 0x20b) // PE32+
	binary.LittleEndian.PutUint16(opt[68:], 3)    // Subsystem: console
	binary.LittleEndian.PutUint32(opt[108:], 16)  // NumberOfRvaAndSizes
	b.Write(opt)
	b.WriteString(msg)
	return b.Bytes(), nil
}
