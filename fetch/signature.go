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

// verifyClearsigned checks a clearsigned SHASUMS256.txt.asc and returns the signed text, and
// a note when the signing key has expired since (the signature is still accepted).
func verifyClearsigned(asc []byte, keyring openpgp.KeyRing) (text []byte, note string, err error) {
	block, _ := clearsign.Decode(asc)
	if block == nil {
		return nil, "", errors.New("it is not a clearsigned OpenPGP message")
	}
	note, err = checkSignature(keyring, block.Bytes, block.ArmoredSignature.Body)
	if err != nil {
		return nil, "", err
	}
	return block.Plaintext, note, nil
}

// verifyDetached checks SHASUMS256.txt against a detached binary or armored signature (.sig).
func verifyDetached(text, sig []byte, keyring openpgp.KeyRing) (string, error) {
	body := bytes.NewReader(sig)
	if bytes.HasPrefix(bytes.TrimSpace(sig), []byte("-----BEGIN PGP SIGNATURE-----")) {
		block, err := armor.Decode(bytes.NewReader(sig))
		if err != nil {
			return "", fmt.Errorf("reading the armored signature: %w", err)
		}
		return checkSignature(keyring, text, block.Body)
	}
	return checkSignature(keyring, text, body)
}

// checkSignature verifies a detached signature. Node has published releases signed by keys
// that had expired since: a valid signature made while its key was valid is accepted, with a
// note saying so. A revoked key is refused, whenever it signed.
func checkSignature(keyring openpgp.KeyRing, signed []byte, sig interface{ Read([]byte) (int, error) }) (note string, err error) {
	sigBytes := new(bytes.Buffer)
	if _, err := sigBytes.ReadFrom(sig); err != nil {
		return "", fmt.Errorf("reading the signature: %w", err)
	}
	s, signer, err := openpgp.VerifyDetachedSignature(keyring, bytes.NewReader(signed), bytes.NewReader(sigBytes.Bytes()), nil)
	// The cryptographic check has passed when only expiry is wrong: judge expiry at the
	// signature's creation time.
	if s != nil && (errors.Is(err, pgperrors.ErrKeyExpired) || errors.Is(err, pgperrors.ErrSignatureExpired)) {
		created := s.CreationTime
		_, signer, err = openpgp.VerifyDetachedSignature(keyring, bytes.NewReader(signed), bytes.NewReader(sigBytes.Bytes()), &packet.Config{Time: func() time.Time { return created }})
		if err == nil && signer != nil {
			if revoked(signer, s, time.Now()) {
				return "", fmt.Errorf("it is signed by key %s, which has been revoked", keyID(signer, s))
			}
			note = fmt.Sprintf("signed on %s by key %s, which has expired since; accepted, as the signature was made while the key was valid", created.UTC().Format("2006-01-02"), keyID(signer, s))
		}
	}
	switch {
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return "", fmt.Errorf("it is signed by key %s, which has been revoked", keyID(signer, s))
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return "", errors.New("it is signed by a key that is not a trusted Node.js release key")
	case err != nil:
		return "", fmt.Errorf("its signature does not verify: %w", err)
	case signer == nil:
		return "", errors.New("it carries no usable signature")
	}
	return note, nil
}

// revoked reports whether the key that made s is revoked at now (the primary key or the
// signing subkey).
func revoked(e *openpgp.Entity, s *packet.Signature, now time.Time) bool {
	if e.Revoked(now) {
		return true
	}
	for _, sk := range e.Subkeys {
		if s.IssuerKeyId != nil && sk.PublicKey.KeyId == *s.IssuerKeyId && sk.Revoked(now) {
			return true
		}
	}
	return false
}

func keyID(e *openpgp.Entity, s *packet.Signature) string {
	switch {
	case s != nil && len(s.IssuerFingerprint) > 0:
		return strings.ToUpper(fmt.Sprintf("%x", s.IssuerFingerprint))
	case e != nil && e.PrimaryKey != nil:
		return strings.ToUpper(fmt.Sprintf("%x", e.PrimaryKey.Fingerprint))
	case s != nil && s.IssuerKeyId != nil:
		return fmt.Sprintf("%016X", *s.IssuerKeyId)
	}
	return "(unknown)"
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
