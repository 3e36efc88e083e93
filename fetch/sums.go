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
	dir := filepath.Join(f.opts.CacheDir, "node", "sums", "v"+v)
	base := f.opts.Mirror + "/v" + v + "/"
	where := fmt.Sprintf("SHASUMS256.txt of Node v%s from %s", v, Redact(f.opts.Mirror))

	if f.opts.InsecureSkipSignature {
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
			return nil, &OfflineError{What: "SHASUMS256.txt of Node v" + v, CacheDir: f.opts.CacheDir}
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
	if asc, err := os.ReadFile(filepath.Join(dir, "SHASUMS256.txt.asc")); err == nil {
		if text, err := verifyClearsigned(asc, f.keyring); err == nil {
			return text, nil
		}
	}
	if text, err := os.ReadFile(filepath.Join(dir, "SHASUMS256.txt")); err == nil {
		if sig, err := os.ReadFile(filepath.Join(dir, "SHASUMS256.txt.sig")); err == nil && verifyDetached(text, sig, f.keyring) == nil {
			return text, nil
		}
	}
	if f.opts.Offline {
		return nil, &OfflineError{What: "the signed SHASUMS256.txt of Node v" + v, CacheDir: f.opts.CacheDir}
	}

	f.rep.Infof("verifying %s", where)
	asc, err := f.client.getSmall(ctx, base+"SHASUMS256.txt.asc")
	var nf *NotFoundError
	switch {
	case err == nil:
		text, err := verifyClearsigned(asc, f.keyring)
		if err != nil {
			return nil, &SignatureError{What: "SHASUMS256.txt.asc of Node v" + v + " from " + Redact(f.opts.Mirror), Err: err}
		}
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
	if err := verifyDetached(text, sig, f.keyring); err != nil {
		return nil, &SignatureError{What: where + " (with SHASUMS256.txt.sig)", Err: err}
	}
	if err := storeSigned(dir, map[string][]byte{"SHASUMS256.txt": text, "SHASUMS256.txt.sig": sig}); err != nil {
		return nil, err
	}
	return text, nil
}

func (f *Client) notPublished(err error, version string) error {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return fmt.Errorf("Node v%s is not published on %s (%w)", version, Redact(f.opts.Mirror), nf)
	}
	return err
}

func storeSigned(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the cache: %w", err)
	}
	for name, data := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("writing to the cache: %w", err)
		}
	}
	return nil
}
