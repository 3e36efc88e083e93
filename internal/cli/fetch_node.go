package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/internal/fetch"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/internal/target"
)

func init() { commands = append(commands, newFetchNodeCmd) }

type fetchNodeOptions struct {
	all                   bool
	nodeVersion           string
	mirror                string
	out                   string
	cacheDir              string
	offline               bool
	keyring               string
	insecureSkipSignature bool
	format                string
	stallTimeout          time.Duration
	json                  bool
}

func newFetchNodeCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &fetchNodeOptions{}
	cmd := &cobra.Command{
		Use:   "fetch-node [PLATFORM...]",
		Short: "Download, verify and install the pinned Node.js binary as node-<triple>[.exe]",
		Long: `Downloads the pinned official Node.js release for each PLATFORM (default: host), verifies
SHASUMS256.txt against the Node.js release keys' OpenPGP signature and the archive against it,
extracts only the node binary, checks its format and CPU, and installs it atomically as
<out>/node-<rust triple>[.exe] with mode 0755. Prints each written path.`,
		Example: `  nizepack fetch-node macos-arm64
  nizepack fetch-node --all --out dist/binaries
  nizepack fetch-node host --mirror https://mirror.example/node --keyring mirror-keys.asc`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFetchNode(cmd, s, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.all, "all", false, "fetch every platform, concurrently")
	f.StringVar(&o.nodeVersion, "node-version", "", "exact Node.js version (default: NODE_VERSION from versions.env)")
	f.StringVar(&o.mirror, "mirror", "", "Node.js distribution URL, used exactly as given (default: NODE_MIRROR, else "+fetch.DefaultMirror+")")
	f.StringVar(&o.out, "out", "", "output directory (default: the Tauri dir's binaries/, else ./binaries)")
	f.StringVar(&o.cacheDir, "cache-dir", "", "download cache (default: $NIZEPACK_CACHE_DIR, else the user cache dir + /nizepack)")
	f.BoolVar(&o.offline, "offline", false, "use only the cache; fail naming what is missing")
	f.StringVar(&o.keyring, "keyring", "", "armored OpenPGP public keys to trust instead of the embedded Node.js release keys")
	f.BoolVar(&o.insecureSkipSignature, "insecure-skip-signature", false, "do not require a signature on SHASUMS256.txt (warned; checksums are still checked)")
	f.StringVar(&o.format, "format", "auto", "archive form: auto, xz or gz (macOS/Linux tarballs), zip or exe (Windows)")
	f.DurationVar(&o.stallTimeout, "stall-timeout", 30*time.Second, "give up on a download attempt that receives nothing for this long")
	f.BoolVar(&o.json, "json", false, "print one JSON document instead of paths")
	return cmd
}

func runFetchNode(cmd *cobra.Command, s *Streams, g *globalOptions, o *fetchNodeOptions, args []string) error {
	targets, err := fetchTargets(o.all, args)
	if err != nil {
		return err
	}
	p, err := loadPins(s, g)
	if err != nil {
		return err
	}
	version, err := nodeVersion(p, o.nodeVersion)
	if err != nil {
		return err
	}
	mirror := o.mirror
	if mirror == "" {
		if m, ok := p.Get(pins.NodeMirror); ok {
			mirror = m.Value
		}
	}
	opts := fetch.Options{
		Version:               version,
		Mirror:                mirror,
		Token:                 s.getenv("NIZEPACK_NODE_MIRROR_TOKEN"),
		Offline:               o.offline,
		InsecureSkipSignature: o.insecureSkipSignature,
		StallTimeout:          o.stallTimeout,
		Pin:                   func(file string) (string, bool) { return p.NodeChecksum(version, file) },
		Report:                newReporter(s, g),
	}
	switch o.format {
	case "auto":
	case "xz", "gz":
		opts.TarKind = fetch.Kind(o.format)
	case "zip", "exe":
		opts.WinKind = fetch.Kind(o.format)
	default:
		return usageErrorf("--format %q: use auto, xz, gz, zip or exe", o.format)
	}
	if o.keyring != "" {
		data, err := os.ReadFile(o.keyring)
		if err != nil {
			return usageErrorf("--keyring: %v", err)
		}
		if opts.Keyring, err = fetch.ParseKeyring(data); err != nil {
			return usageErrorf("--keyring %s: %v; give a file of armored OpenPGP public keys", o.keyring, err)
		}
	}
	if opts.OutDir = o.out; opts.OutDir == "" {
		if opts.OutDir, err = tauriSubdir("binaries", "--out"); err != nil {
			return err
		}
	}
	if opts.CacheDir, err = cacheDir(s, o.cacheDir); err != nil {
		return err
	}

	f, err := fetch.New(opts)
	if err != nil {
		return err
	}
	rep := newReporter(s, g)
	end := rep.Group(fmt.Sprintf("fetch-node: Node v%s for %s", version, targetNames(targets)))
	results, err := f.FetchAll(cmd.Context(), targets)
	end()
	for _, r := range results {
		state := "written"
		switch {
		case r.UpToDate:
			state = "up to date"
		case r.FromCache:
			state = "written from cache"
		}
		rep.Infof("%s: %s (%s, %.1f MB)", r.Platform, r.Path, state, float64(r.Size)/1e6)
	}
	if o.json {
		if jerr := writeJSON(s.Out, map[string]any{"node_version": version, "mirror": redactURL(opts.Mirror), "files": nonNil(results)}); jerr != nil {
			return jerr
		}
	} else {
		for _, r := range results {
			fmt.Fprintln(s.Out, r.Path)
		}
	}
	return err
}

func fetchTargets(all bool, args []string) ([]target.Target, error) {
	if all {
		if len(args) > 0 {
			return nil, usageErrorf("--all fetches every platform; drop the PLATFORM arguments (%s) or --all", strings.Join(args, " "))
		}
		return target.Single(), nil
	}
	if len(args) == 0 {
		args = []string{"host"}
	}
	var out []target.Target
	seen := map[string]bool{}
	for _, a := range args {
		t, err := parsePlatform(a)
		if err != nil {
			return nil, err
		}
		if !seen[t.Name] {
			seen[t.Name] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func targetNames(ts []target.Target) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// cacheDir resolves --cache-dir > $NIZEPACK_CACHE_DIR > the user cache dir + /nizepack.
func cacheDir(s *Streams, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if env := s.getenv("NIZEPACK_CACHE_DIR"); env != "" {
		return env, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding a cache directory: %w; pass --cache-dir or set NIZEPACK_CACHE_DIR", err)
	}
	return filepath.Join(base, "nizepack"), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
