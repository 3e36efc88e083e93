package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/target"
)

type platformsOptions struct {
	json bool
}

func newPlatformsCmd(s *Streams, _ *globalOptions) *cobra.Command {
	o := &platformsOptions{}
	cmd := &cobra.Command{
		Use:   "platforms",
		Short: "List the platforms nizepack knows, with their Rust triples and Node dist names",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPlatforms(s, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func runPlatforms(s *Streams, o *platformsOptions) error {
	all := target.All()
	if o.json {
		type row struct {
			Name     string   `json:"name"`
			Aliases  []string `json:"aliases"`
			Triple   string   `json:"triple"`
			NodeDist string   `json:"node_dist,omitempty"`
			Sidecar  string   `json:"node_sidecar"`
			Slices   []string `json:"slices,omitempty"`
		}
		var rows []row
		for _, t := range all {
			rows = append(rows, row{t.Name, append([]string{}, t.Aliases...), t.Triple, t.NodeDist, fetch.BinaryName(t), t.Slices})
		}
		return writeDoc(s.Out, map[string]any{"platforms": rows}, nil)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATFORM\tALIASES\tRUST TRIPLE\tNODE DIST\tSIDECAR FILE")
	for _, t := range all {
		dist := t.NodeDist
		if t.Universal() {
			dist = "(" + strings.Join(t.Slices, " + ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, strings.Join(t.Aliases, ","), t.Triple, dist, fetch.BinaryName(t))
	}
	return tw.Flush()
}
