package nizepack_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nize/nizepack/internal/binfmt"
	"github.com/nize/nizepack/internal/fakebin"
)

// Commands for the sidecars_*, tauri_* and verify_* scripts:
//
//	copytree SRC DST            copy a fixture tree (e.g. $TAURI_FIXTURES/app) into the work dir
//	fakebin GOOS GOARCH PATH    write a tiny real executable (GOARCH "universal": a fat Mach-O)
//	binfmt PATH                 print the format and CPUs of an executable, e.g. "ELF amd64"
//	filemode PATH               print a file's permission bits, e.g. "0755"
//	mtime PATH TIME             set a file's modification time (RFC 3339, e.g. 2025-06-01T10:00:00Z)

// setupTauri exports the Tauri fixtures dir.
func setupTauri(env *testscript.Env) error {
	abs, err := filepath.Abs("testdata/tauri")
	if err != nil {
		return err
	}
	env.Setenv("TAURI_FIXTURES", abs)
	return nil
}

// cmdCopytree copies a directory tree: copytree SRC DST. A node_modules in it is linked, not copied.
func cmdCopytree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: copytree SRC DST")
	}
	src, dst := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() && d.Name() == "node_modules" {
			// Installed packages are linked, not copied: tens of MB, read only.
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(p, out); err != nil {
				return err
			}
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	ts.Check(err)
}

// cmdFakebin writes a tiny real executable: fakebin GOOS GOARCH PATH [MSG] (GOARCH universal: fat).
func cmdFakebin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: fakebin GOOS GOARCH PATH [MSG]")
	}
	msg := "fake " + args[0] + "/" + args[1] + "\n"
	if len(args) > 3 {
		msg = args[3]
	}
	var exe []byte
	if args[0] == "darwin" && args[1] == "universal" {
		arm, err := fakebin.Executable("darwin", "arm64", msg)
		ts.Check(err)
		x86, err := fakebin.Executable("darwin", "amd64", msg)
		ts.Check(err)
		var fat bytes.Buffer
		ts.Check(binfmt.WriteFat(&fat, arm, x86))
		exe = fat.Bytes()
	} else {
		var err error
		exe, err = fakebin.Executable(args[0], args[1], msg)
		ts.Check(err)
	}
	p := ts.MkAbs(args[2])
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(os.WriteFile(p, exe, 0o755))
}

// cmdBinfmt prints a file's executable format and CPU: binfmt PATH (with !, expect none).
func cmdBinfmt(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: binfmt PATH")
	}
	info, err := binfmt.IdentifyFile(ts.MkAbs(args[0]))
	if neg {
		if err == nil {
			ts.Fatalf("%s is %v", args[0], info)
		}
		return
	}
	ts.Check(err)
	fmt.Fprintln(ts.Stdout(), info)
}

// cmdFilemode prints a file's permission bits: filemode PATH.
func cmdFilemode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: filemode PATH")
	}
	st, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%04o\n", st.Mode().Perm())
}

// cmdMtime sets a file's modification (and access) time: mtime PATH TIME, TIME in RFC 3339.
func cmdMtime(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mtime PATH TIME")
	}
	t, err := time.Parse(time.RFC3339, args[1])
	ts.Check(err)
	ts.Check(os.Chtimes(ts.MkAbs(args[0]), t, t))
}
