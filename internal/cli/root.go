// Package cli holds nizepack's cobra commands. Each command is a thin file that parses flags
// into an options struct and calls one library function; this file wires them together.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/tauri"
)

// Streams are the IO a command may use; tests inject their own.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Environ lists the environment; nil means os.Environ.
	Environ func() []string
}

func (s *Streams) getenv(k string) string {
	if s.Getenv != nil {
		return s.Getenv(k)
	}
	return os.Getenv(k)
}

func (s *Streams) environ() []string {
	if s.Environ != nil {
		return s.Environ()
	}
	return os.Environ()
}

// Exit codes, as the spec fixes them.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	// ExitChanged is for --check (tauri, versions update): the files are valid but not current,
	// so a run without --check would change them. 1 then means the check could not tell.
	ExitChanged = 3
)

// UsageError is a mistake in how nizepack was called: exit 2. Hint, when set, is the fix the
// message does not already say, shown in parentheses after it.
type UsageError struct {
	Err  error
	Hint string
	// flags: the command line's flags could not be parsed, so --json may not have been read.
	flags bool
}

func (e *UsageError) Error() string {
	if e.Hint != "" {
		return e.Err.Error() + " (" + e.Hint + ")"
	}
	return e.Err.Error()
}
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ExitError ends with a code and no further message (the command already said what it had to).
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Main runs nizepack with args and returns the process exit code.
func Main(ctx context.Context, s Streams, args []string) int {
	stdout := &stdoutWatch{w: s.Out}
	s.Out = stdout
	root := NewRoot(&s)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(stdout)
	root.SetErr(s.Err)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(ctx, s, err)
	if !stdout.written && wantsJSON(cmd, args, err) {
		// The run failed before its command printed its document (or printed none): this is it.
		docErr := err
		var in Interrupted
		if ctx.Err() != nil && errors.As(context.Cause(ctx), &in) {
			docErr = in
		}
		if jerr := writeDoc(stdout, nil, docErr); jerr != nil {
			fmt.Fprintf(s.Err, "nizepack: writing the --json document: %v\n", jerr)
		}
	}
	return code
}

// exitCode reports a failed run's error on stderr (unless the command already did) and returns
// its exit code.
func exitCode(ctx context.Context, s Streams, err error) int {
	var in Interrupted
	if ctx.Err() != nil && errors.As(context.Cause(ctx), &in) {
		fmt.Fprintf(s.Err, "nizepack: %s\n", in.Error())
		return in.ExitCode()
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	msg := strings.TrimSpace(describe(err))
	fmt.Fprintf(s.Err, "nizepack: %s\n", msg)
	if s.getenv("GITHUB_ACTIONS") == "true" {
		var syntax *tauri.SyntaxError
		var invalid *tauri.SchemaError
		if errors.As(err, &syntax) {
			// Annotate the config file at the offending line, as the issue view shows it.
			fmt.Fprintf(s.Err, "::error file=%s,line=%d,col=%d::%s\n", escapeProperty(syntax.Path), syntax.Line, syntax.Column, escapeAnnotation(msg))
		} else if errors.As(err, &invalid) {
			fmt.Fprintf(s.Err, "::error file=%s,line=%d,col=%d::%s\n", escapeProperty(invalid.Path), invalid.Line, invalid.Column, escapeAnnotation(msg))
		} else {
			fmt.Fprintf(s.Err, "::error::%s\n", escapeAnnotation(msg))
		}
	}
	var usage *UsageError
	if errors.As(err, &usage) || isCobraUsageError(err) {
		return ExitUsage
	}
	return ExitFailure
}

// cobra reports unknown commands and bad flags as plain errors; they are usage errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// escapeAnnotation encodes a message for a GitHub Actions workflow command.
func escapeAnnotation(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty encodes a workflow command property value (file=...).
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// globalOptions are the flags every command has.
type globalOptions struct {
	versionsFile string
	// versionsCreated: the command creates a missing --versions FILE (fetch-node --pin).
	versionsCreated bool
	quiet           bool
	reporter        *terminalReporter // made on first use, after flags are parsed
}

// NewRoot builds the command tree.
func NewRoot(s *Streams) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "nizepack",
		Short:         "Make the Nize Desktop Tauri app ready to package",
		Long:          "nizepack fetches and verifies the Node.js sidecar, bundles the PGlite server, names the Rust sidecars, rewrites the Tauri config and verifies the result.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{Err: err, Hint: fmt.Sprintf("see `%s --help`", c.CommandPath()), flags: true}
	})
	root.PersistentFlags().StringVar(&g.versionsFile, "versions", "", "pins file to read and write instead of the app's (default: versions.env, scripts/node-version.env and scripts/bun-version.env at the app root when present, over the embedded pins)")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "print no progress, only results and errors")
	root.AddCommand(
		newPrepareCmd(s, g),
		newFetchNodeCmd(s, g),
		newFetchBunCmd(s, g),
		newBundlesCmd(s, g),
		newBundlePgliteCmd(s, g),
		newSidecarsCmd(s, g),
		newTauriCmd(s, g),
		newVerifyCmd(s, g),
		newSmokeCmd(s, g),
		newVersionsCmd(s, g),
		newPlatformsCmd(s, g),
		newVersionCmd(s, g),
	)
	finishRoot(root)
	return root
}
