package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at release time with -ldflags "-X github.com/nize/nizepack/internal/cli.Version=v1.2.3".
var Version = ""

func newVersionCmd(s *Streams, _ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print nizepack's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(s.Out, "nizepack", buildVersion())
			return nil
		},
	}
}

func buildVersion() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
