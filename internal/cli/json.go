package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/prepare"
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
		version  *fetch.VersionError
		uerr     *url.Error
		changed  *changedError
		problems *problemsError
		prepVer  *prepare.VerifyError
	)
	switch {
	case errors.As(err, &in), errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, &usage), errors.As(err, &mirror), errors.As(err, &version), isCobraUsageError(err):
		return "usage"
	case errors.As(err, &changed):
		return "out_of_date"
	case errors.As(err, &problems), errors.As(err, &prepVer):
		return "problems"
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

// The --json contract (docs/json.md): with --json a run prints exactly one JSON object on stdout,
// success or failure. It leads with "ok" (true exactly when the exit code is 0); a failed run's
// document has "error": {"message", "hint"} and "kind" too. Commands print their document with
// writeDoc; a run that fails before its command printed one (a usage error, no app found) gets
// one from Main.

// jsonError is a failure as a --json document carries it: the facts and the fix apart.
type jsonError struct {
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// docHead leads every --json document.
type docHead struct {
	OK    bool       `json:"ok"`
	Error *jsonError `json:"error,omitempty"`
	Kind  string     `json:"kind,omitempty"`
}

// headFields are the fields docHead owns: no body may have its own.
var headFields = []string{"ok", "error", "kind"}

// writeDoc writes a run's one --json document: "ok", and when err is not nil "error" and "kind",
// followed by the fields of body (a struct or map that marshals to a JSON object; nil for none).
func writeDoc(w io.Writer, body any, err error) error {
	head := docHead{OK: err == nil}
	if err != nil {
		x := explain(err)
		head.Error, head.Kind = &jsonError{Message: x.Message, Hint: x.Hint}, errorKind(err)
	}
	h, merr := json.Marshal(head)
	if merr != nil {
		return merr
	}
	b := []byte("{}")
	if body != nil {
		if b, merr = json.Marshal(body); merr != nil {
			return merr
		}
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) != nil || fields == nil {
		return fmt.Errorf("internal error: the --json document of %T is not a JSON object", body)
	}
	for _, k := range headFields {
		if _, ok := fields[k]; ok {
			return fmt.Errorf("internal error: the --json document of %T has its own %q", body, k)
		}
	}
	doc := append([]byte{}, h[:len(h)-1]...)
	if len(fields) > 0 {
		doc = append(append(doc, ','), bytes.TrimSpace(b)[1:]...)
	} else {
		doc = append(doc, '}')
	}
	var out bytes.Buffer
	if err := json.Indent(&out, doc, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, werr := w.Write(out.Bytes())
	return werr
}

// changedError is a --check run that found something a run without --check would change: exit 3,
// kind out_of_date.
type changedError struct{ Message, Hint string }

func (e *changedError) Error() string { return e.Message + "; " + e.Hint }

// problemsError is a verify (alone or in prepare) that found problems, each with its fix: kind
// problems.
type problemsError struct {
	Platform          string
	Problems, Checked int
}

func (e *problemsError) Error() string {
	return fmt.Sprintf("verify %s: %d problem(s) in %d checked path(s)", e.Platform, e.Problems, e.Checked)
}

// stdoutWatch remembers whether anything was written to stdout, so Main knows whether the run
// printed its --json document.
type stdoutWatch struct {
	w       io.Writer
	written bool
}

func (s *stdoutWatch) Write(p []byte) (int, error) {
	if len(p) > 0 {
		s.written = true
	}
	return s.w.Write(p)
}

// wantsJSON reports whether the run asked for --json: the command's parsed flag, or, when the
// flags could not be parsed (or the command has none, or is unknown), a --json among the
// arguments before "--". A run that asked for it gets its one document even when it failed
// before its command could read the flag.
func wantsJSON(cmd *cobra.Command, args []string, err error) bool {
	var usage *UsageError
	parsed := !(errors.As(err, &usage) && usage.flags) && !isCobraUsageError(err)
	if cmd != nil && parsed {
		if f := cmd.Flags().Lookup("json"); f != nil {
			return f.Value.String() == "true"
		}
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--json" {
			return true
		}
		if v, ok := strings.CutPrefix(a, "--json="); ok {
			b, err := strconv.ParseBool(v)
			return err == nil && b
		}
	}
	return false
}
