package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/target"
)

// finishRoot adds what concerns the whole tree: `nizepack --version`, shell completion of
// PLATFORM arguments and --format values, and usage errors (exit 2) for `help NOSUCH` and
// `completion NOSH`, which cobra answers with help text and exit 0.
func finishRoot(root *cobra.Command) {
	root.Version = buildVersion()
	root.SetVersionTemplate("nizepack {{.Version}}\n")

	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Run = nil
			c.RunE = runHelp
		case "completion":
			shells := []string{}
			for _, sub := range c.Commands() {
				shells = append(shells, sub.Name())
			}
			c.Args = func(_ *cobra.Command, args []string) error {
				if len(args) > 0 {
					return usageErrorf("completion %s: unknown shell; use one of %s", args[0], strings.Join(shells, ", "))
				}
				return nil
			}
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
	}

	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if strings.Contains(c.Use, "PLATFORM") && c.ValidArgsFunction == nil {
			many := strings.Contains(c.Use, "PLATFORM...")
			c.ValidArgsFunction = func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) > 0 && !many {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return completePlatforms(toComplete), cobra.ShellCompDirectiveNoFileComp
			}
		}
		if c.Flags().Lookup("format") != nil {
			_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(
				[]cobra.Completion{"auto", "xz", "gz", "zip", "exe"}, cobra.ShellCompDirectiveNoFileComp))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completePlatforms offers every friendly name, and host.
func completePlatforms(prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, t := range target.All() {
		if strings.HasPrefix(t.Name, prefix) {
			out = append(out, cobra.CompletionWithDesc(t.Name, t.Triple))
		}
	}
	if strings.HasPrefix("host", prefix) {
		out = append(out, cobra.CompletionWithDesc("host", "the machine nizepack runs on"))
	}
	return out
}

// runHelp is `nizepack help [COMMAND...]`; an unknown command is a usage error.
func runHelp(c *cobra.Command, args []string) error {
	cmd, rest, err := c.Root().Find(args)
	if cmd == nil || err != nil || len(rest) > 0 {
		return usageErrorf("help %s: no such command (see `nizepack help`)", strings.Join(args, " "))
	}
	return cmd.Help()
}
