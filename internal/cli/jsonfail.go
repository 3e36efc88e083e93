package cli

import (
	"context"
	"errors"
	"net/url"

	"github.com/nize/nizepack/fetch"
)

// errorKind classifies a failure for --json documents, so a workflow can branch on it without
// parsing the sentence.
func errorKind(err error) string {
	var (
		usage    *UsageError
		in       Interrupted
		sig      *fetch.SignatureError
		sum      *fetch.ChecksumError
		pin      *fetch.PinMismatchError
		binPin   *fetch.BinaryPinMismatchError
		hostile  *fetch.HostileEntryError
		offline  *fetch.OfflineError
		notFound *fetch.NotFoundError
		notPub   *fetch.NotPublishedError
		unreach  *fetch.UnreachableError
		disk     *fetch.DiskFullError
		large    *fetch.TooLargeError
		mirror   *fetch.MirrorError
		uerr     *url.Error
	)
	switch {
	case errors.As(err, &in), errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, &usage), errors.As(err, &mirror), isCobraUsageError(err):
		return "usage"
	case errors.As(err, &sig):
		return "signature"
	case errors.As(err, &sum), errors.As(err, &pin), errors.As(err, &binPin):
		return "checksum"
	case errors.As(err, &hostile):
		return "hostile_archive"
	case errors.As(err, &offline):
		return "offline"
	case errors.As(err, &notFound), errors.As(err, &notPub):
		return "not_found"
	case errors.As(err, &unreach):
		return "unreachable"
	case errors.As(err, &disk):
		return "disk_full"
	case errors.As(err, &large):
		return "too_large"
	case errors.As(err, &uerr):
		return "network"
	}
	return "error"
}

// failureDoc is the JSON document of a failed run: ok false, the error as the user reads it,
// and its kind.
func failureDoc(err error) map[string]any {
	return map[string]any{"ok": false, "error": describe(err), "kind": errorKind(err)}
}

// jsonOnFailure makes a --json command print one document also when it fails before printing
// its own: {"ok": false, "error": ..., "kind": ...}. An *ExitError means the command already
// printed what it had to.
func jsonOnFailure(s *Streams, asJSON bool, err error) error {
	var exit *ExitError
	if !asJSON || err == nil || errors.As(err, &exit) {
		return err
	}
	if jerr := writeJSON(s.Out, failureDoc(err)); jerr != nil {
		return errors.Join(err, jerr)
	}
	return err
}
