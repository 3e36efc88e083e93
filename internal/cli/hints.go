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
func describe(err error) string { return explain(err).Text }

// explained is an error as the CLI renders it: Text is the line stderr gets; Message (the facts)
// and Hint (the fix, "" when the CLI has none apart from the message) are its two parts for a
// --json document.
type explained struct{ Text, Message, Hint string }

// hinted is the explanation of msg with its fix hint, joined by sep in the text.
func hinted(msg, sep, hint string) explained {
	return explained{Text: msg + sep + hint, Message: msg, Hint: hint}
}

// explain is describe, keeping the facts and the fix apart.
func explain(err error) explained {
	if err == nil {
		return explained{}
	}
	if e, ok := withHint(err); ok {
		return e
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		var texts, msgs, hints []string
		for _, e := range u.Unwrap() {
			if e != nil {
				x := explain(e)
				texts, msgs = append(texts, x.Text), append(msgs, x.Message)
				if x.Hint != "" {
					hints = append(hints, x.Hint)
				}
			}
		}
		if strings.Join(rawMessages(u.Unwrap()), "\n") == err.Error() { // errors.Join's own text
			return explained{Text: strings.Join(texts, "\n"), Message: strings.Join(msgs, "\n"), Hint: strings.Join(hints, "\n")}
		}
	case interface{ Unwrap() error }:
		// "context: inner" → "context: " + describe(inner), when the wrapper ends with the inner text.
		if inner := u.Unwrap(); inner != nil {
			msg, im := err.Error(), inner.Error()
			if strings.HasSuffix(msg, im) {
				x := explain(inner)
				prefix := msg[:len(msg)-len(im)]
				return explained{Text: prefix + x.Text, Message: prefix + x.Message, Hint: x.Hint}
			}
		}
	}
	return explained{Text: err.Error(), Message: err.Error()}
}

// withHint renders the library errors whose fix lies in how nizepack is called, and the CLI's
// own errors that carry a hint.
func withHint(err error) (explained, bool) {
	if err == pins.ErrNoNodeVersion {
		return hinted(err.Error(), ": ", "set NODE_VERSION in versions.env or pass --node-version"), true
	}
	if err == pins.ErrNoBunVersion {
		return hinted(err.Error(), ": ", "set BUN_VERSION in scripts/bun-version.env (or versions.env) or pass --bun-version"), true
	}
	switch e := err.(type) {
	case *UsageError:
		if e.Hint != "" {
			x := explain(e.Err)
			return explained{Text: e.Error(), Message: x.Message, Hint: joinHints(x.Hint, e.Hint)}, true
		}
	case *changedError:
		return hinted(e.Message, "; ", e.Hint), true
	case *problemsError:
		return hinted(e.Error(), "; ", "each problem names its fix"), true
	case *versions.NoLTSError:
		return hinted(e.Error(), ": ", "pick a major with an LTS line (--major N)"), true
	case *hintError:
		x := explain(e.Err)
		return explained{Text: x.Text + e.sep() + e.Hint, Message: x.Message, Hint: joinHints(x.Hint, e.Hint)}, true
	case *bundle.MissingPackageError:
		return hinted(e.Error(), ": ", fmt.Sprintf("run `npm ci` in %s", e.Dir)), true
	case *bundle.PeerMismatchError:
		return hinted(e.Error(), "; ", fmt.Sprintf("install packages made for one PGlite, e.g. `npm install %s@%s` in the app's package dir (a PGlite 0.5 cannot open a 0.3 data dir: keep the PGlite the app's data was made with)", e.Peer, e.Wants)), true
	case *bundle.NoVectorError:
		return hinted(e.Error(), ": ", fmt.Sprintf("install the %s made for PGlite %s (`npm install %s` in the app's package dir; npm refuses one whose PGlite peer does not match)", bundle.PGvectorPackage, e.PGlite, bundle.PGvectorPackage)), true
	case *bundle.InputError:
		switch e.Input {
		case bundle.InputEntry:
			return hinted(e.Error(), ": ", "pass --entry with the server's .mjs"), true
		case bundle.InputPackageDir:
			return hinted(e.Error(), ": ", "pass --package-dir with the folder holding package.json and node_modules"), true
		case bundle.InputOut:
			return hinted(e.Error(), ": ", "pass --out with a directory"), true
		case bundle.InputSeedDatabase:
			return hinted(e.Error(), ": ", "pass --seed-database with another name"), true
		}
	case *bundle.SeedError:
		x := hinted(fmt.Sprintf("making the PGlite seed with %s: %s", e.Node, e.Problem), "; ", "pass --node PATH with a Node binary that runs the bundle, or --no-seed to bundle without a seed")
		if st := strings.TrimSpace(e.Stderr); st != "" {
			x.Text += "\nserver stderr:\n" + st
			x.Message += "\nserver stderr:\n" + st
		}
		return x, true
	case *fetch.OfflineError:
		return hinted(fmt.Sprintf("--offline: %s is not in the cache %s", e.What, e.CacheDir), "; ", "run once without --offline (and NIZEPACK_OFFLINE) to fill it"), true
	case *fetch.SignatureError:
		x := hinted(e.Error(), " (", "use --keyring FILE for a mirror that re-signs, or --insecure-skip-signature to skip this check")
		x.Text += ")"
		return x, true
	case *fetch.UnreachableError:
		return hinted(e.Error(), ": ", "check the mirror URL (--mirror or NIZEPACK_NODE_MIRROR), set HTTPS_PROXY if this network reaches the internet through a proxy, or pass --offline to use a warm cache"), true
	case *fetch.DiskFullError:
		return hinted(e.Error(), ": ", "free some space there, or point --cache-dir (NIZEPACK_CACHE_DIR) or --out at a disk with room"), true
	case *fetch.BinaryPinMismatchError:
		key := pins.BinaryKey(e.Platform)
		if e.Tree {
			key = pins.BinaryTreeKey(e.Platform)
		}
		return hinted(fmt.Sprintf("%s: versions.env pins %s", e, key), "; ", "if the release really changed, run `nizepack fetch-node --pin` to pin the verified binary"), true
	case *fetch.PinMismatchError:
		return hinted(fmt.Sprintf("%s: the signed SHASUMS256.txt says sha256 %s but versions.env pins %s", e.File, e.Signed, e.Pinned), "; ", "update the pin only if the release really changed"), true
	case *sidecars.NotBuiltError:
		if n, changed := tauri.NormalizeExternalBin(e.Name); changed || strings.Contains(n, "/") {
			return hinted(e.Error(), "; ", "its bundle.externalBin entry is written for Windows (Tauri wants forward slashes and no \".exe\": it adds \"-<triple>\" and, for Windows targets, \".exe\" itself): run `nizepack tauri` to rewrite it"), true
		}
		return hinted(e.Error(), "; ", fmt.Sprintf("build it with `%s` (or set --cargo-target-dir)", strings.Join(e.Cargo, " "))), true
	case *sidecars.WrongBinaryError:
		return hinted(e.Error(), "; ", fmt.Sprintf("build it with `%s`", strings.Join(e.Cargo, " "))), true
	case *sidecars.NoSidecarsError:
		return hinted(e.Error(), "; ", "add the Rust binaries to it or name them with --bin"), true
	case *smoke.StepError:
		if inner, ok := withHint(e.Err); ok {
			return explained{Text: e.Format(inner.Text), Message: e.Format(inner.Message), Hint: inner.Hint}, true
		}
	case *smoke.SessionLeakError:
		return hinted(e.Error(), "; ", "the bundled entry serves every client in one Postgres session and never resets it: bundle nizepack's canonical server instead (`nizepack bundle-pglite` without --entry: a drop-in with the same flags and port line, which resets the session when a client leaves)"), true
	case *smoke.MissingError:
		switch e.What {
		case smoke.MissingNode:
			cmd := "fetch-node"
			if strings.HasPrefix(filepath.Base(e.Path), "bun") {
				cmd = "fetch-bun"
			}
			return hinted(e.Error(), ": ", fmt.Sprintf("run `nizepack %s` first or pass --node", cmd)), true
		case smoke.MissingServer:
			return hinted(e.Error(), ": ", "run `nizepack bundle-pglite` first or pass --bundle"), true
		}
	case *tauri.V1Error:
		return hinted(e.Error(), "; ", "run `npx tauri migrate` to move it to Tauri v2, then run nizepack again"), true
	}
	return explained{}, false
}

// joinHints is the hints that are not empty, "; " between them.
func joinHints(hints ...string) string {
	var out []string
	for _, h := range hints {
		if h != "" {
			out = append(out, h)
		}
	}
	return strings.Join(out, "; ")
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
