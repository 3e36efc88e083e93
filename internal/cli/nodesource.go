package cli

import (
	"os"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/spf13/pflag"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/report"
)

// nodeSourceFlags are where Node releases come from and how they are trusted: the same
// --mirror, --cache-dir, --keyring and --insecure-skip-signature as fetch-node, for the commands
// that read a mirror without installing a binary (versions update).
type nodeSourceFlags struct {
	mirror                string
	cacheDir              string
	keyring               string
	insecureSkipSignature bool
}

func (n *nodeSourceFlags) register(f *pflag.FlagSet) {
	f.StringVar(&n.mirror, "mirror", "", "release site URL, used exactly as given (default: NODE_MIRROR, else "+fetch.DefaultMirror+"; for Bun BUN_MIRROR, else "+fetch.DefaultBunMirror+")")
	f.StringVar(&n.cacheDir, "cache-dir", "", "download cache (default: $NIZEPACK_CACHE_DIR, else the user cache dir + /nizepack)")
	f.StringVar(&n.keyring, "keyring", "", "armored OpenPGP public keys to trust instead of the embedded Node.js release keys; for Bun, the key whose signature on SHASUMS256.txt is then required (default: $NIZEPACK_KEYRING)")
	f.BoolVar(&n.insecureSkipSignature, "insecure-skip-signature", false, "do not require a signature on SHASUMS256.txt (warned)")
}

// nodeSource is the resolved form of nodeSourceFlags.
type nodeSource struct {
	mirror   string
	token    string
	cacheDir string
	keyring  openpgp.EntityList
	insecure bool
}

// resolve applies fetch-node's precedence: --mirror > NODE_MIRROR pin; --cache-dir >
// $NIZEPACK_CACHE_DIR > user cache; --keyring (else $NIZEPACK_KEYRING) replaces the embedded
// release keys.
func (n *nodeSourceFlags) resolve(s *Streams, p *pins.Pins, spec runtimeSpec) (nodeSource, error) {
	src := nodeSource{mirror: n.mirror, token: s.getenv("NIZEPACK_NODE_MIRROR_TOKEN"), insecure: n.insecureSkipSignature}
	from := "--mirror"
	if src.mirror == "" {
		if m, ok := p.Get(spec.keys.Mirror); ok {
			src.mirror, from = m.Value, spec.keys.Mirror+" from "+string(m.Source)
		}
	}
	if src.mirror == "" {
		src.mirror = spec.rt.DefaultMirror
	}
	// Validated here so a bad URL is a usage error naming where it came from; the URL itself is
	// never echoed, since it may hold credentials.
	if _, _, err := fetch.SplitMirror(src.mirror); err != nil {
		return src, usageErrorf("%s: %v", from, err)
	}
	keyring, keyFrom := n.keyring, "--keyring"
	if keyring == "" {
		keyring, keyFrom = s.getenv("NIZEPACK_KEYRING"), "$NIZEPACK_KEYRING"
	}
	if keyring != "" {
		data, err := os.ReadFile(keyring)
		if err != nil {
			return src, usageErrorf("%s: %v", keyFrom, err)
		}
		if src.keyring, err = fetch.ParseKeyring(data); err != nil {
			return src, usageErrorf("%s %s: %v; give a file of armored OpenPGP public keys", keyFrom, keyring, err)
		}
	}
	var err error
	src.cacheDir, err = cacheDir(s, n.cacheDir)
	return src, err
}

// clientOptions are the fetch.Client options of this source; the caller adds what is its own
// (offline, stall timeout, reporter).
func (src nodeSource) clientOptions(rep report.Reporter) fetch.Options {
	return fetch.Options{
		Mirror:                src.mirror,
		Token:                 src.token,
		CacheDir:              src.cacheDir,
		Keyring:               src.keyring,
		InsecureSkipSignature: src.insecure,
		Report:                rep,
	}
}
