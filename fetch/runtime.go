package fetch

import (
	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/nize/nizepack/target"
)

// Runtime is a JavaScript runtime whose official release binaries a Client installs: where a
// release lives, which archive holds the binary for a target, and who signs its SHASUMS256.txt.
// Node and Bun are the table; Options.Runtime picks one (nil: Node).
type Runtime struct {
	// Name is how messages name it: "Node", "Bun".
	Name string
	// Base is the sidecar the binary is installed as, before Tauri's -<triple>[.exe]: "node",
	// "bun". It also names the runtime's folder in the cache.
	Base string
	// DefaultMirror is the official release site, used when Options.Mirror is empty.
	DefaultMirror string
	// Dir is a version's folder under the mirror: "v24.21.0", "bun-v1.3.9".
	Dir func(version string) string
	// Artifact is the file holding the binary for t (relative to Dir), the binary's entry in
	// it and the archive kind; file is "" when the runtime publishes no build for t.
	Artifact func(version string, t target.Target, tarKind, winKind Kind) (file, entry string, kind Kind)
	// Keys returns the embedded keys that sign SHASUMS256.txt; nil when nizepack embeds none.
	// Without keys, SHASUMS256.txt is checked against a signature only when Options.Keyring is
	// given, and otherwise trusted as the mirror serves it (with a warning): a binary pin is
	// then what vouches for the binary.
	Keys func() (openpgp.EntityList, error)
	// Signer says who signs the release sums, for messages.
	Signer string
}

// BinaryName is the file the runtime's binary for t is installed as: <Base>-<triple>[.exe].
func (r *Runtime) BinaryName(t target.Target) string { return t.SidecarPath(r.Base) }

// Node is the official Node.js distribution: <mirror>/v<V>/node-v<V>-<dist>.tar.gz|.tar.xz
// (bin/node), node-v<V>-win-<arch>.zip (node.exe) or win-<arch>/node.exe, with SHASUMS256.txt
// clearsigned (.asc) or detached-signed (.sig) by a Node.js releaser.
var Node = &Runtime{
	Name:          "Node",
	Base:          BinaryBase,
	DefaultMirror: DefaultMirror,
	Dir:           func(v string) string { return "v" + v },
	Artifact:      Artifact,
	Keys:          ReleaseKeyring,
	Signer:        "a Node.js releaser",
}

// DefaultBunMirror is where Bun publishes its releases.
const DefaultBunMirror = "https://github.com/oven-sh/bun/releases/download"

// BunSigningKey is the fingerprint of the key Bun's release automation (robobun) signs
// SHASUMS256.txt.asc with. nizepack does not embed the key itself: pass it with
// Options.Keyring to have the signature required.
const BunSigningKey = "F3DCC08A8572C0749B3E18888EAB4D40A7B22B59"

// Bun is the official Bun distribution: <mirror>/bun-v<V>/bun-<platform>.zip holding
// bun-<platform>/bun (bun.exe on Windows), with SHASUMS256.txt (and SHASUMS256.txt.asc, signed
// by BunSigningKey) per release.
var Bun = &Runtime{
	Name:          "Bun",
	Base:          "bun",
	DefaultMirror: DefaultBunMirror,
	Dir:           func(v string) string { return "bun-v" + v },
	Artifact: func(_ string, t target.Target, _, _ Kind) (string, string, Kind) {
		if t.BunDist == "" {
			return "", "", ""
		}
		top := "bun-" + t.BunDist
		return top + ".zip", top + "/bun" + t.Exe(), KindZip
	},
	Signer: "Bun's release key " + BunSigningKey,
}

// Runtimes is the table of runtimes, Node first.
func Runtimes() []*Runtime { return []*Runtime{Node, Bun} }

// RuntimeByBase finds a runtime by its sidecar name ("node", "bun").
func RuntimeByBase(base string) (*Runtime, bool) {
	for _, r := range Runtimes() {
		if r.Base == base {
			return r, true
		}
	}
	return nil, false
}
