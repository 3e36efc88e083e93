package fetch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"

	"github.com/nize/nizepack/internal/atomicfile"
)

// signedSums returns the text of SHASUMS256.txt that the release keys vouch for: from the
// cache when a stored signature still verifies, else from the mirror's SHASUMS256.txt.asc
// (clearsigned), falling back to SHASUMS256.txt with its detached SHASUMS256.txt.sig.
func (f *Client) signedSums(ctx context.Context, v string) ([]byte, error) {
	rt := f.opts.Runtime
	dir := filepath.Join(f.opts.CacheDir, rt.Base, "sums", rt.Dir(v))
	base := f.opts.Mirror + "/" + rt.Dir(v) + "/"
	what := "SHASUMS256.txt of " + rt.Name + " v" + v
	where := fmt.Sprintf("%s from %s", what, Redact(f.opts.Mirror))

	if f.opts.InsecureSkipSignature || f.unsigned() {
		if !f.opts.InsecureSkipSignature {
			f.rep.Warnf("%s is checked against no signature: nizepack embeds no %s release key (it is signed by %s; pass --keyring with that key to require the signature); pin the binary (--pin) so that the pin vouches for it from then on", where, rt.Name, rt.Signer)
		}
		if f.opts.Offline {
			if text, err := os.ReadFile(filepath.Join(dir, "SHASUMS256.txt")); err == nil {
				return text, nil
			}
			// A signed copy from an earlier run serves as well, unverified.
			if asc, err := os.ReadFile(filepath.Join(dir, "SHASUMS256.txt.asc")); err == nil {
				if block, _ := clearsign.Decode(asc); block != nil {
					return block.Plaintext, nil
				}
			}
			return nil, &OfflineError{What: what, CacheDir: f.opts.CacheDir}
		}
		text, err := f.client.getSmall(ctx, base+"SHASUMS256.txt")
		if err != nil {
			return nil, f.notPublished(err, v)
		}
		if err := storeSigned(dir, map[string][]byte{"SHASUMS256.txt": text}); err != nil {
			return nil, err
		}
		return text, nil
	}

	// A cached signature is re-verified on every use, with the keys trusted now.
	var cachedErr error
	if asc, err := readRegular(filepath.Join(dir, "SHASUMS256.txt.asc")); err == nil {
		text, note, err := f.verifyClearsigned(asc)
		if err == nil {
			f.noteSignature(v, note)
			return text, nil
		}
		cachedErr = err
	}
	if text, err := readRegular(filepath.Join(dir, "SHASUMS256.txt")); err == nil {
		if sig, err := readRegular(filepath.Join(dir, "SHASUMS256.txt.sig")); err == nil {
			note, err := f.verifyDetached(text, sig)
			if err == nil {
				f.noteSignature(v, note)
				return text, nil
			}
			cachedErr = err
		}
	}
	if f.opts.Offline {
		if cachedErr != nil {
			// The cache has the sums, but the keys trusted now do not vouch for them.
			return nil, &SignatureError{What: "the cached " + what + " in " + f.opts.CacheDir + " (offline)", Err: cachedErr}
		}
		return nil, &OfflineError{What: "the signed " + what, CacheDir: f.opts.CacheDir}
	}

	f.rep.Infof("verifying %s", where)
	asc, err := f.client.getSmall(ctx, base+"SHASUMS256.txt.asc")
	var nf *NotFoundError
	switch {
	case err == nil:
		text, note, err := f.verifyClearsigned(asc)
		if err != nil {
			return nil, &SignatureError{What: "SHASUMS256.txt.asc of " + rt.Name + " v" + v + " from " + Redact(f.opts.Mirror), Err: err}
		}
		f.noteSignature(v, note)
		if err := storeSigned(dir, map[string][]byte{"SHASUMS256.txt.asc": asc}); err != nil {
			return nil, err
		}
		return text, nil
	case !errors.As(err, &nf):
		return nil, err
	}

	// No clearsigned file: try the detached signature.
	text, err := f.client.getSmall(ctx, base+"SHASUMS256.txt")
	if err != nil {
		return nil, f.notPublished(err, v)
	}
	sig, err := f.client.getSmall(ctx, base+"SHASUMS256.txt.sig")
	if errors.As(err, &nf) {
		return nil, &SignatureError{What: where, Err: errors.New("the mirror has neither SHASUMS256.txt.asc nor SHASUMS256.txt.sig, so nothing vouches for the checksums")}
	}
	if err != nil {
		return nil, err
	}
	note, err := f.verifyDetached(text, sig)
	if err != nil {
		return nil, &SignatureError{What: where + " (with SHASUMS256.txt.sig)", Err: err}
	}
	f.noteSignature(v, note)
	if err := storeSigned(dir, map[string][]byte{"SHASUMS256.txt": text, "SHASUMS256.txt.sig": sig}); err != nil {
		return nil, err
	}
	return text, nil
}

func (f *Client) notPublished(err error, version string) error {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return fmt.Errorf("%s v%s is not published on %s (%w)", f.opts.Runtime.Name, version, Redact(f.opts.Mirror), nf)
	}
	return err
}

func (f *Client) noteSignature(v, note string) {
	if note != "" {
		f.rep.Warnf("SHASUMS256.txt of %s v%s: %s", f.opts.Runtime.Name, v, note)
	}
}

// readRegular reads a cache file, refusing anything but a regular file (a FIFO would block).
func readRegular(path string) ([]byte, error) {
	if !isRegular(path) {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return os.ReadFile(path)
}

func storeSigned(dir string, files map[string][]byte) error {
	if fi, err := os.Lstat(dir); err == nil && !fi.IsDir() {
		os.Remove(dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the cache: %w", diskErr(err, dir))
	}
	for name, data := range files {
		if fi, err := os.Lstat(filepath.Join(dir, name)); err == nil && !fi.Mode().IsRegular() {
			os.RemoveAll(filepath.Join(dir, name)) // a directory where the file should be
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("writing to the cache: %w", diskErr(err, dir))
		}
	}
	return nil
}

// verifyClearsigned checks a clearsigned SHASUMS256.txt.asc against the trusted keys.
func (c *Client) verifyClearsigned(asc []byte) (text []byte, note string, err error) {
	keys, err := c.keyring()
	if err != nil {
		return nil, "", err
	}
	return verifyClearsigned(asc, keys)
}

// verifyDetached checks SHASUMS256.txt against its detached signature and the trusted keys.
func (c *Client) verifyDetached(text, sig []byte) (string, error) {
	keys, err := c.keyring()
	if err != nil {
		return "", err
	}
	return verifyDetached(text, sig, keys)
}
