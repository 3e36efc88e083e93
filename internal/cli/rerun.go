package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/verify"
)

// rerunCommand is the command line that runs cmd again as the user ran it (its arguments and
// every flag they set but the drop ones, quoted for a shell), with extra flags added: a hint
// that runs as printed.
func rerunCommand(cmd *cobra.Command, args, drop []string, extra ...string) string {
	parts := []string{cmd.CommandPath()}
	for _, a := range args {
		parts = append(parts, verify.ShellQuote(a))
	}
	skip := map[string]bool{}
	for _, d := range drop {
		skip[d] = true
	}
	for _, e := range extra {
		skip[strings.TrimPrefix(strings.SplitN(e, "=", 2)[0], "--")] = true
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if skip[f.Name] {
			return
		}
		switch v := f.Value.(type) {
		case pflag.SliceValue:
			for _, s := range v.GetSlice() {
				parts = append(parts, "--"+f.Name, verify.ShellQuote(s))
			}
			return
		}
		val := f.Value.String()
		if f.Name == "mirror" {
			val = fetch.Redact(val) // never print credentials a URL carries
		}
		if f.Value.Type() == "bool" {
			if val == "true" {
				parts = append(parts, "--"+f.Name)
			} else {
				parts = append(parts, fmt.Sprintf("--%s=%s", f.Name, val))
			}
			return
		}
		parts = append(parts, "--"+f.Name, verify.ShellQuote(val))
	})
	return strings.Join(append(parts, extra...), " ")
}

// hintError adds a hint that depends on how the command was run to an error: the fix, apart
// from the facts in a --json document.
type hintError struct {
	Err  error
	Hint string
	Sep  string // between the error and the hint; "" is "; "
}

func (e *hintError) sep() string {
	if e.Sep == "" {
		return "; "
	}
	return e.Sep
}

func (e *hintError) Error() string { return e.Err.Error() + e.sep() + e.Hint }
func (e *hintError) Unwrap() error { return e.Err }
