package cli

import (
	"errors"
	"os/exec"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// seedFlags choose the PGlite seed bundle-pglite makes beside the bundle: which Node binary
// runs the new bundle once, and which database the seed holds.
type seedFlags struct {
	node     string
	database string
	noSeed   bool
}

func (f *seedFlags) register(fs *pflag.FlagSet, prefix string) {
	fs.StringVar(&f.node, "node", "", prefix+"Node binary that runs the new bundle once to make the PGlite seed (default: the Tauri dir's binaries/node-<host triple> when present, else node on PATH)")
	fs.StringVar(&f.database, "seed-database", nize.SeedDatabase, prefix+"database the seed holds: a first start with this --database unpacks the seed instead of running initdb")
	fs.BoolVar(&f.noSeed, "no-seed", false, prefix+"make no seed (the app's first start then runs initdb)")
}

// resolve applies Nize's policy: --no-seed, else --node, else hostNode (the node prepare has just
// fetched for this host), else the Tauri dir's node-<host triple>, else node on PATH. With no Node
// at all it warns what that costs and returns no seed.
func (f *seedFlags) resolve(rep report.Reporter, tauriDir, hostNode, sidecarName string) (bundle.Seed, error) {
	if f.noSeed {
		if f.node != "" {
			return bundle.Seed{}, usageErrorf("--no-seed and --node contradict each other: pass one")
		}
		return bundle.Seed{}, nil
	}
	seed := bundle.Seed{Node: f.node, Database: f.database}
	if seed.Node == "" {
		seed.Node = hostNode
	}
	if seed.Node == "" {
		seed.Node, _ = nize.SeedNode(tauriDir, sidecarName, exec.LookPath)
	}
	if seed.Node == "" {
		where := "no node on PATH"
		if tauriDir != "" {
			if host, err := target.Host(); err == nil {
				where = "no " + filepath.Join(tauriDir, nize.BinariesDir, filepath.Base(nize.NodeSidecar(tauriDir, host, sidecarName))) + ", " + where
			}
		}
		rep.Warnf("no Node binary to make the PGlite seed with (%s; pass --node PATH): bundling without a seed, so the app's first start runs initdb and creates its database (5–25 s instead of 1–3 s)", where)
		return bundle.Seed{}, nil
	}
	return seed, nil
}

// optionalTauriDir is the Tauri dir under the working directory, or "" when there is none or
// several.
func optionalTauriDir() string {
	dir, err := tauri.FindDir(".")
	if err != nil || errors.Is(err, tauri.ErrNoTauriDir) {
		return ""
	}
	return dir
}
