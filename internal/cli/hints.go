package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/internal/smoke"
	"github.com/nize/nizepack/internal/versions"
	"github.com/nize/nizepack/sidecars"
	"github.com/nize/nizepack/tauri"
)

// describe renders an error for the user: the libraries' facts, and where a library error has a
// fix that is a nizepack flag, a command or a versions.env pin, that fix. Wrapping context and
// joined errors are kept as they read.
func describe(err error) string {
	if err == nil {
		return ""
	}
	if msg, ok := withHint(err); ok {
		return msg
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		parts := make([]string, 0, len(u.Unwrap()))
		for _, e := range u.Unwrap() {
			if e != nil {
				parts = append(parts, describe(e))
			}
		}
		if strings.Join(rawMessages(u.Unwrap()), "\n") == err.Error() { // errors.Join's own text
			return strings.Join(parts, "\n")
		}
	case interface{ Unwrap() error }:
		// "context: inner" → "context: " + describe(inner), when the wrapper ends with the inner text.
		if inner := u.Unwrap(); inner != nil {
			msg, im := err.Error(), inner.Error()
			if strings.HasSuffix(msg, im) {
				return msg[:len(msg)-len(im)] + describe(inner)
			}
		}
	}
	return err.Error()
}

func rawMessages(errs []error) []string {
	var out []string
	for _, e := range errs {
		if e != nil {
			out = append(out, e.Error())
		}
	}
	return out
}

// withHint renders the library errors whose fix lies in how nizepack is called.
func withHint(err error) (string, bool) {
	if err == pins.ErrNoNodeVersion {
		return fmt.Sprintf("%s: set NODE_VERSION in versions.env or pass --node-version", err), true
	}
	if err == pins.ErrNoBunVersion {
		return fmt.Sprintf("%s: set BUN_VERSION in scripts/bun-version.env (or versions.env) or pass --bun-version", err), true
	}
	switch e := err.(type) {
	case *versions.NoLTSError:
		return fmt.Sprintf("%s: pick a major with an LTS line (--major N)", e), true
	case *hintError:
		return describe(e.Err) + "; " + e.Hint, true
	case *bundle.MissingPackageError:
		return fmt.Sprintf("%s: run `npm ci` in %s", e, e.Dir), true
	case *bundle.PeerMismatchError:
		return fmt.Sprintf("%s; install packages made for one PGlite, e.g. `npm install %s@%s` in the app's package dir (a PGlite 0.5 cannot open a 0.3 data dir: keep the PGlite the app's data was made with)", e, e.Peer, e.Wants), true
	case *bundle.NoVectorError:
		return fmt.Sprintf("%s: install the %s made for PGlite %s (`npm install %s` in the app's package dir; npm refuses one whose PGlite peer does not match)", e, bundle.PGvectorPackage, e.PGlite, bundle.PGvectorPackage), true
	case *bundle.InputError:
		switch e.Input {
		case bundle.InputEntry:
			return fmt.Sprintf("%s: pass --entry with the server's .mjs", e), true
		case bundle.InputPackageDir:
			return fmt.Sprintf("%s: pass --package-dir with the folder holding package.json and node_modules", e), true
		case bundle.InputOut:
			return fmt.Sprintf("%s: pass --out with a directory", e), true
		case bundle.InputSeedDatabase:
			return fmt.Sprintf("%s: pass --seed-database with another name", e), true
		}
	case *bundle.SeedError:
		msg := fmt.Sprintf("making the PGlite seed with %s: %s; pass --node PATH with a Node binary that runs the bundle, or --no-seed to bundle without a seed", e.Node, e.Problem)
		if st := strings.TrimSpace(e.Stderr); st != "" {
			msg += "\nserver stderr:\n" + st
		}
		return msg, true
	case *fetch.OfflineError:
		return fmt.Sprintf("--offline: %s is not in the cache %s; run once without --offline (and NIZEPACK_OFFLINE) to fill it", e.What, e.CacheDir), true
	case *fetch.SignatureError:
		return fmt.Sprintf("%s (use --keyring FILE for a mirror that re-signs, or --insecure-skip-signature to skip this check)", e), true
	case *fetch.UnreachableError:
		return fmt.Sprintf("%s: check the mirror URL (--mirror or NIZEPACK_NODE_MIRROR), set HTTPS_PROXY if this network reaches the internet through a proxy, or pass --offline to use a warm cache", e), true
	case *fetch.DiskFullError:
		return fmt.Sprintf("%s: free some space there, or point --cache-dir (NIZEPACK_CACHE_DIR) or --out at a disk with room", e), true
	case *fetch.BinaryPinMismatchError:
		key := pins.BinaryKey(e.Platform)
		if e.Tree {
			key = pins.BinaryTreeKey(e.Platform)
		}
		return fmt.Sprintf("%s: versions.env pins %s; if the release really changed, run `nizepack fetch-node --pin` to pin the verified binary", e, key), true
	case *fetch.PinMismatchError:
		return fmt.Sprintf("%s: the signed SHASUMS256.txt says sha256 %s but versions.env pins %s; update the pin only if the release really changed", e.File, e.Signed, e.Pinned), true
	case *sidecars.NotBuiltError:
		if n, changed := tauri.NormalizeExternalBin(e.Name); changed || strings.Contains(n, "/") {
			return fmt.Sprintf("%s; its bundle.externalBin entry is written for Windows (Tauri wants forward slashes and no \".exe\": it adds \"-<triple>\" and, for Windows targets, \".exe\" itself): run `nizepack tauri` to rewrite it", e), true
		}
		return fmt.Sprintf("%s; build it with `%s` (or set --cargo-target-dir)", e, strings.Join(e.Cargo, " ")), true
	case *sidecars.WrongBinaryError:
		return fmt.Sprintf("%s; build it with `%s`", e, strings.Join(e.Cargo, " ")), true
	case *sidecars.NoSidecarsError:
		return fmt.Sprintf("%s; add the Rust binaries to it or name them with --bin", e), true
	case *smoke.StepError:
		if inner, ok := withHint(e.Err); ok {
			return e.Format(inner), true
		}
	case *smoke.SessionLeakError:
		return fmt.Sprintf("%s; the bundled entry serves every client in one Postgres session and never resets it: bundle nizepack's canonical server instead (`nizepack bundle-pglite` without --entry: a drop-in with the same flags and port line, which resets the session when a client leaves)", e), true
	case *smoke.MissingError:
		switch e.What {
		case smoke.MissingNode:
			cmd := "fetch-node"
			if strings.HasPrefix(filepath.Base(e.Path), "bun") {
				cmd = "fetch-bun"
			}
			return fmt.Sprintf("%s: run `nizepack %s` first or pass --node", e, cmd), true
		case smoke.MissingServer:
			return fmt.Sprintf("%s: run `nizepack bundle-pglite` first or pass --bundle", e), true
		}
	case *tauri.V1Error:
		return fmt.Sprintf("%s; run `npx tauri migrate` to move it to Tauri v2, then run nizepack again", e), true
	}
	return "", false
}
