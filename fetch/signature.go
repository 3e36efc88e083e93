package fetch

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// releaseKeys are the Node.js releasers' public keys (RSA and Ed25519), as published by the
// nodejs/release-keys project, embedded so verification needs nothing from the network.
//
//go:embed keys/*.asc
var releaseKeys embed.FS

// ReleaseKeyring returns the embedded Node.js release keys.
func ReleaseKeyring() (openpgp.EntityList, error) {
	var all openpgp.EntityList
	err := fs.WalkDir(releaseKeys, "keys", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := releaseKeys.ReadFile(path)
		if err != nil {
			return err
		}
		keys, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("reading embedded key %s: %w", path, err)
		}
		all = append(all, keys...)
		return nil
	})
	return all, err
}

// ParseKeyring reads armored public keys (one or several blocks, as in a --keyring file).
func ParseKeyring(armored []byte) (openpgp.EntityList, error) {
	var all openpgp.EntityList
	rest := armored
	for {
		i := bytes.Index(rest, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----"))
		if i < 0 {
			break
		}
		rest = rest[i:]
		end := bytes.Index(rest, []byte("-----END PGP PUBLIC KEY BLOCK-----"))
		if end < 0 {
			return nil, errors.New("unterminated PGP public key block")
		}
		end += len("-----END PGP PUBLIC KEY BLOCK-----")
		keys, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(rest[:end]))
		if err != nil {
			return nil, err
		}
		all = append(all, keys...)
		rest = rest[end:]
	}
	if len(all) == 0 {
		return nil, errors.New("no armored PGP public key found")
	}
	return all, nil
}

// SignatureError means SHASUMS256.txt could not be trusted.
type SignatureError struct {
	What string // e.g. "SHASUMS256.txt.asc on http://mirror/v24.21.0"
	Err  error
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("refusing %s: %v", e.What, e.Err)
}

func (e *SignatureError) Unwrap() error { return e.Err }

// verifyClearsigned checks a clearsigned SHASUMS256.txt.asc and returns the signed text.
func verifyClearsigned(asc []byte, keyring openpgp.KeyRing) ([]byte, error) {
	block, _ := clearsign.Decode(asc)
	if block == nil {
		return nil, errors.New("it is not a clearsigned OpenPGP message")
	}
	if err := checkSignature(keyring, block.Bytes, block.ArmoredSignature.Body); err != nil {
		return nil, err
	}
	return block.Plaintext, nil
}

// verifyDetached checks SHASUMS256.txt against a detached binary or armored signature (.sig).
func verifyDetached(text, sig []byte, keyring openpgp.KeyRing) error {
	body := bytes.NewReader(sig)
	if bytes.HasPrefix(bytes.TrimSpace(sig), []byte("-----BEGIN PGP SIGNATURE-----")) {
		block, err := armor.Decode(bytes.NewReader(sig))
		if err != nil {
			return fmt.Errorf("reading the armored signature: %w", err)
		}
		return checkSignature(keyring, text, block.Body)
	}
	return checkSignature(keyring, text, body)
}

func checkSignature(keyring openpgp.KeyRing, signed []byte, sig interface{ Read([]byte) (int, error) }) error {
	sigBytes := new(bytes.Buffer)
	if _, err := sigBytes.ReadFrom(sig); err != nil {
		return fmt.Errorf("reading the signature: %w", err)
	}
	s, signer, err := openpgp.VerifyDetachedSignature(keyring, bytes.NewReader(signed), bytes.NewReader(sigBytes.Bytes()), nil)
	// A release signed while its key was valid stays valid after the key expires: judge expiry
	// at the signature's creation time (the cryptographic check has already passed here).
	if s != nil && (errors.Is(err, pgperrors.ErrKeyExpired) || errors.Is(err, pgperrors.ErrSignatureExpired)) {
		created := s.CreationTime
		_, signer, err = openpgp.VerifyDetachedSignature(keyring, bytes.NewReader(signed), bytes.NewReader(sigBytes.Bytes()), &packet.Config{Time: func() time.Time { return created }})
	}
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return errors.New("it is signed by a key that is not a trusted Node.js release key")
	case err != nil:
		return fmt.Errorf("its signature does not verify: %w", err)
	case signer == nil:
		return errors.New("it carries no usable signature")
	}
	return nil
}

// Sums maps a path relative to the version directory to its SHA-256 (lowercase hex).
type Sums map[string]string

var sumLine = regexp.MustCompile(`^([0-9a-fA-F]{64})\s+\*?(\S.*)$`)

// parseSums reads SHASUMS256.txt lines: "<64 hex>  <path>".
func parseSums(text []byte) (Sums, error) {
	sums := Sums{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		m := sumLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("malformed line %q", line)
		}
		sums[strings.TrimPrefix(m[2], "./")] = strings.ToLower(m[1])
	}
	if len(sums) == 0 {
		return nil, errors.New("it lists no files")
	}
	return sums, sc.Err()
}
