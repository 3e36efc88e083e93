package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/internal/smoke"
)

type smokeOptions struct {
	node         string
	bundle       string
	config       string
	database     string
	startTimeout time.Duration
	sidecarName  string
	json         bool
}

func newSmokeCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &smokeOptions{}
	cmd := &cobra.Command{
		Use:   "smoke [PLATFORM]",
		Short: "Run the bundled PGlite server with the fetched Node binary and query it over Postgres",
		Long: `Proves the packaged artifacts work together on this machine: starts
<Tauri dir>/resources/pglite/pglite-server.mjs with <Tauri dir>/binaries/node-<host triple>
(not the system node) on a temporary data dir and port 0, reads its {"port": N} line, connects
over the Postgres wire protocol asking for the database the app asks for (nize), reports the
database the server really serves (PGlite 0.3.x serves template1 whatever it is asked: a note,
not a failure), creates the pgvector extension, a
vector(3) table and runs a nearest-neighbour query, reconnects and prepares sqlx's statement
name sqlx_s_1 again (no 42P05), then stops it with SIGTERM and checks that it exits 0 (Windows has
no SIGTERM: there it is killed). Prints each step's time, the start first.

When the bundle has a seed of that database (bundle-pglite makes one for an entry that reads
seeds, as nizepack's canonical server does), the start is the app's seeded first start: the
server's port line must say it started from the seed, and vector must already be there.

Only the host's binaries can run here: another PLATFORM is refused, never reported as passed.
A failure names the step and shows the server's stderr, and exits 1.`,
		Example: `  nizepack smoke
  nizepack smoke --node /usr/local/bin/node --bundle dist/pglite`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSmoke(cmd, s, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.node, "node", "", "runtime binary to run the server with, node or bun (default: the runtime the app ships, the Tauri dir's binaries/node-<host triple> or bun-<host triple>)")
	f.StringVar(&o.bundle, "bundle", "", "the bundled pglite-server.mjs, or its directory (default: the Tauri dir's resources/pglite/)")
	f.StringVar(&o.config, "config", "", "Tauri config file whose dir holds binaries/ and resources/pglite/ (default: the Tauri dir found from the working directory)")
	f.StringVar(&o.database, "database", smoke.DefaultDatabase, "database the server is asked to serve (--database=), as the app asks for it")
	f.DurationVar(&o.startTimeout, "start-timeout", 3*time.Minute, "how long to wait for the server's port line")
	sidecarNameFlag(f, &o.sidecarName)
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func runSmoke(cmd *cobra.Command, s *Streams, g *globalOptions, o *smokeOptions, args []string) error {
	t, err := platformArg(args)
	if err != nil {
		return err
	}
	if err := smoke.Runnable(t); err != nil {
		return fmt.Errorf("smoke %s: not runnable here, not tested: %w", t.Name, err)
	}
	node := o.node
	if node == "" {
		dir, err := tauriSubdir(o.config, nize.BinariesDir, "--node")
		if err != nil {
			return err
		}
		// The runtime the app ships: its bun sidecar for a Bun app, else node under its name.
		spec := shippedRuntime(o.config, filepath.Dir(dir), t)
		name := spec.rt.Base
		if spec.rt == fetch.Node {
			if name, err = sidecarName(s, g, o.sidecarName); err != nil {
				return err
			}
		}
		node = filepath.Join(dir, fetch.SidecarName(name, t))
	}
	server := o.bundle
	if server == "" {
		if server, err = tauriSubdir(o.config, filepath.FromSlash(nize.BundleDir), "--bundle"); err != nil {
			return err
		}
	}
	if fi, err := os.Stat(server); err == nil && fi.IsDir() {
		server = filepath.Join(server, bundle.ServerFile)
	}
	rep := newReporter(s, g)
	end := rep.Group(fmt.Sprintf("smoke: %s", t.Name))
	res, err := smoke.Run(cmd.Context(), smoke.Options{
		Node:         node,
		Server:       server,
		Database:     o.database,
		StartTimeout: o.startTimeout,
		Report:       rep,
	})
	end()
	if err != nil {
		return err
	}
	if o.json {
		return writeDoc(s.Out, map[string]any{"platform": t.Name, "passed": true, "result": res}, nil)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tTIME\tDETAIL")
	for _, st := range res.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", st.Name, st.Duration.Round(time.Millisecond), st.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "ok: smoke passed for %s in %s (server start %s)\n", t.Name, res.Total.Round(time.Millisecond), res.Steps[0].Duration.Round(time.Millisecond))
	return nil
}
