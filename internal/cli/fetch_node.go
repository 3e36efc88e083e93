package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/internal/versions"
	"github.com/nize/nizepack/target"
)

// fetchFlags are fetch-node's (and fetch-bun's) download flags, shared with prepare.
type fetchFlags struct {
	src          nodeSourceFlags
	versions     map[string]*string // by runtime base: --node-version, --bun-version
	offline      bool
	format       string
	stallTimeout time.Duration
	sidecarName  string
	flags        *pflag.FlagSet // to tell a given --offline from its default
}

// register adds the flags, with a version flag for each runtime in specs.
func (ff *fetchFlags) register(f *pflag.FlagSet, prefix string, specs ...runtimeSpec) {
	ff.src.register(f)
	ff.flags = f
	ff.versions = map[string]*string{}
	for _, r := range specs {
		v := new(string)
		ff.versions[r.rt.Base] = v
		f.StringVar(v, r.versionFlag, "", "exact "+r.keys.Name+" version (default: "+r.keys.Version+" from the pins: versions.env, else "+r.pinFile+")")
	}
	f.BoolVar(&ff.offline, "offline", false, prefix+"use only the download cache; fail naming what is missing (default: $NIZEPACK_OFFLINE)")
	f.StringVar(&ff.format, "format", "auto", prefix+"archive form: auto, xz or gz (macOS/Linux tarballs), zip or exe (Windows)")
	f.DurationVar(&ff.stallTimeout, "stall-timeout", 30*time.Second, prefix+"retry a download attempt that receives nothing for this long")
	sidecarNameFlag(f, &ff.sidecarName)
}

// options resolves the pins, the runtime's version and the mirror into the client's options
// and the request (without its OutDir); it returns the pins too.
func (ff *fetchFlags) options(s *Streams, g *globalOptions, spec runtimeSpec) (fetch.Options, fetch.Request, *pins.Pins, error) {
	p, err := loadPins(s, g)
	if err != nil {
		return fetch.Options{}, fetch.Request{}, nil, err
	}
	flag := ""
	if v := ff.versions[spec.rt.Base]; v != nil {
		flag = *v
	}
	version, err := runtimeVersion(p, spec, flag)
	if err != nil {
		return fetch.Options{}, fetch.Request{}, nil, err
	}
	src, err := ff.src.resolve(s, p, spec)
	if err != nil {
		return fetch.Options{}, fetch.Request{}, nil, err
	}
	offline := ff.offline
	if ff.flags == nil || !ff.flags.Changed("offline") {
		if offline, err = envBool(s, "NIZEPACK_OFFLINE"); err != nil {
			return fetch.Options{}, fetch.Request{}, nil, err
		}
	}
	rep := newReporter(s, g)
	opts := src.clientOptions(rep)
	opts.Runtime = spec.rt
	opts.Offline, opts.StallTimeout = offline, ff.stallTimeout
	if src.insecure {
		rep.Warnf("--insecure-skip-signature: trusting SHASUMS256.txt of %s v%s from %s without checking its signature", spec.keys.Name, version, fetch.Redact(src.mirror))
	}
	name := ff.sidecarName
	if name == "" {
		if name, err = pinnedSidecarName(p); err != nil {
			return fetch.Options{}, fetch.Request{}, nil, err
		}
	} else if _, err := sidecarName(s, g, name); err != nil {
		return fetch.Options{}, fetch.Request{}, nil, err
	}
	req := fetch.Request{
		Version:   version,
		Pin:       func(file string) (string, bool) { return p.Checksum(spec.keys, version, file) },
		BinaryPin: func(t target.Target) (string, bool) { return p.Binary(spec.keys, version, t.Name) },
	}
	if spec.rt == fetch.Node {
		req.Name = name // NODE_SIDECAR_NAME: Bun keeps its name
	}
	if spec.keys.BinaryTree != "" {
		req.BinaryTreePin = func(t target.Target) (string, bool) { return p.NodeBinaryTree(version, t.Name) }
	}
	switch ff.format {
	case "auto":
	case "xz", "gz":
		req.TarKind = fetch.Kind(ff.format)
	case "zip", "exe":
		req.WinKind = fetch.Kind(ff.format)
	default:
		return opts, req, p, usageErrorf("--format %q: use auto, xz, gz, zip or exe", ff.format)
	}
	return opts, req, p, nil
}

// envBool reads a boolean environment variable: unset or empty is false; 1/true and 0/false
// (as strconv.ParseBool spells them) are themselves; anything else is a usage error.
func envBool(s *Streams, name string) (bool, error) {
	v := s.getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, usageErrorf("$%s=%q: set it to 1 or 0 (or unset it)", name, v)
	}
	return b, nil
}

type fetchNodeOptions struct {
	spec runtimeSpec
	fetchFlags
	all    bool
	out    string
	config string
	json   bool
	pin    bool
}

func newFetchNodeCmd(s *Streams, g *globalOptions) *cobra.Command {
	return newFetchRuntimeCmd(s, g, nodeSpec)
}

func newFetchBunCmd(s *Streams, g *globalOptions) *cobra.Command {
	return newFetchRuntimeCmd(s, g, bunSpec)
}

func newFetchRuntimeCmd(s *Streams, g *globalOptions, spec runtimeSpec) *cobra.Command {
	o := &fetchNodeOptions{spec: spec}
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
	}
	pinHelp := "write NODE_BIN_SHA256_<PLATFORM> and NODE_BIN_SHA256TREE_<PLATFORM> pins of each verified binary to the pin file that holds NODE_VERSION (--versions FILE, else the app's versions.env or scripts/node-version.env, else ./versions.env, created)"
	if spec.rt == fetch.Bun {
		cmd.Use = "fetch-bun [PLATFORM...]"
		cmd.Short = "Download, verify and install the pinned Bun binary as bun-<triple>[.exe]"
		cmd.Long = `Downloads the pinned official Bun release (BUN_VERSION: versions.env, else
scripts/bun-version.env) for each PLATFORM (default: host) from Bun's release layout
(<mirror>/bun-v<V>/bun-<platform>.zip), checks the zip against the release's SHASUMS256.txt,
extracts only the bun binary, checks its format and CPU, and installs it atomically as
<out>/bun-<rust triple>[.exe] with mode 0755. Prints each written path. Same cache, pins,
progress and --json as fetch-node.

Trust: nizepack embeds no Bun release key. Bun's SHASUMS256.txt.asc is signed by
` + fetch.BunSigningKey + ` (Bun's release automation); with --keyring FILE holding that
key the signature is required. Without it the checksum list is taken as the mirror serves it
(warned), so pin the binary: --pin writes BUN_BIN_SHA256_<PLATFORM>, which from then on
vouches for the binary with no network at all.`
		cmd.Example = `  nizepack fetch-bun linux-x86_64
  nizepack fetch-bun --pin
  nizepack fetch-bun --all --keyring bun-release-key.asc`
		pinHelp = "write BUN_BIN_SHA256_<PLATFORM> pins of each verified binary to the pin file that holds BUN_VERSION (--versions FILE, else the app's versions.env or scripts/bun-version.env, else ./versions.env, created)"
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return runFetchNode(cmd, s, g, o, args)
	}
	f := cmd.Flags()
	f.BoolVar(&o.all, "all", false, "fetch every platform, concurrently")
	o.fetchFlags.register(f, "", spec)
	f.StringVar(&o.out, "out", "", "output directory (default: the Tauri dir's binaries/, else ./binaries)")
	f.StringVar(&o.config, "config", "", "Tauri config file whose dir gets binaries/ (default: the Tauri dir found from the working directory)")
	f.BoolVar(&o.json, "json", false, "print one JSON document instead of paths (also on failure: every target with ok, error and kind)")
	f.BoolVar(&o.pin, "pin", false, pinHelp)
	return cmd
}

func runFetchNode(cmd *cobra.Command, s *Streams, g *globalOptions, o *fetchNodeOptions, args []string) error {
	targets, err := fetchTargets(o.all, args)
	if err != nil {
		return err
	}
	g.versionsCreated = o.pin
	spec := o.spec
	opts, req, p, err := o.fetchFlags.options(s, g, spec)
	if err != nil {
		return err
	}
	version := req.Version
	req.TreeSums = o.pin && spec.keys.BinaryTree != ""
	if req.OutDir = o.out; req.OutDir == "" {
		if req.OutDir, err = tauriSubdir(o.config, nize.BinariesDir, "--out"); err != nil {
			return err
		}
	}

	client, err := fetch.New(opts)
	if err != nil {
		return err
	}
	rep := newReporter(s, g)
	end := rep.Group(fmt.Sprintf("%s: %s v%s for %s", spec.cmd, spec.keys.Name, version, targetNames(targets)))
	results, err := client.Install(cmd.Context(), req, targets...)
	end()
	for _, r := range results {
		state := "written"
		switch {
		case r.UpToDate:
			state = "up to date"
		case r.FromCache:
			state = "written from cache"
		}
		rep.Infof("%s: %s (%s, %.1f MB, verified by %s)", r.Platform, r.Path, state, float64(r.Size)/1e6, r.VerifiedBy)
	}
	var pinned *versions.FileChange
	if o.pin && len(results) > 0 {
		ch, perr := pinBinaries(pinFilesFor(g, p, spec.keys.Version)[0], spec, version, results)
		if perr != nil {
			err = errors.Join(err, perr)
		} else {
			pinned = &ch
			rep.Infof("%s: pinned the %s binaries of %s", ch.Path, spec.rt.Base, targetNames(targets))
		}
	}
	if o.json {
		doc := map[string]any{"runtime": spec.rt.Base, "version": version, "mirror": fetch.Redact(opts.Mirror), "files": nonNil(results), "targets": fetchTargetStatus(targets, results, err)}
		if spec.rt == fetch.Node {
			doc["node_version"] = version
		}
		if pinned != nil {
			doc["pinned"] = pinned
		}
		if jerr := writeDoc(s.Out, doc, err); jerr != nil {
			return errors.Join(err, jerr)
		}
	} else {
		for _, r := range results {
			fmt.Fprintln(s.Out, r.Path)
		}
	}
	return err
}

// pinBinaries writes the binary pins of the verified results into the pin file at path (the
// one that pins NODE_VERSION, see pinFiles).
func pinBinaries(path string, spec runtimeSpec, version string, results []fetch.Result) (versions.FileChange, error) {
	sums := map[string]string{}
	for _, r := range results {
		if r.Artifact != "" { // a fat file is made from its pinned slices
			sums[spec.keys.BinaryKey(r.Platform)] = r.SHA256
			if spec.keys.BinaryTree != "" {
				sums[pins.BinaryTreeKey(r.Platform)] = r.TreeSHA256
			}
		}
	}
	ch, err := versions.PinRuntimeBinaries(path, spec.keys, version, sums)
	var vm *versions.VersionMismatchError
	if errors.As(err, &vm) {
		return ch, fmt.Errorf("--pin: %w; fetch that version (drop --%s) or update the pin first", err, spec.versionFlag)
	}
	return ch, err
}

type targetStatus struct {
	Platform string `json:"platform"`
	Triple   string `json:"triple"`
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	Kind     string `json:"kind,omitempty"`
}

// fetchTargetStatus is one entry per asked target (a universal one's slices included): ok, or
// the error and its kind.
func fetchTargetStatus(targets []target.Target, results []fetch.Result, err error) []targetStatus {
	failed := map[string]error{}
	var all []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		all = j.Unwrap()
	} else if err != nil {
		all = []error{err}
	}
	var other []error
	for _, e := range all {
		var te *fetch.TargetError
		if errors.As(e, &te) {
			failed[te.Platform] = te.Err
		} else {
			other = append(other, e)
		}
	}
	done := map[string]bool{}
	for _, r := range results {
		done[r.Platform] = true
	}
	var out []targetStatus
	add := func(t target.Target) {
		st := targetStatus{Platform: t.Name, Triple: t.Triple, OK: done[t.Name]}
		if e, ok := failed[t.Name]; ok {
			st.OK, st.Error, st.Kind = false, describe(e), errorKind(e)
		} else if !st.OK && len(other) > 0 {
			e := errors.Join(other...)
			st.Error, st.Kind = describe(e), errorKind(e)
		} else if !st.OK {
			st.Error, st.Kind = "not installed", "error"
		}
		out = append(out, st)
	}
	for _, t := range targets {
		if t.Universal() {
			for _, sl := range t.SliceTargets() {
				add(sl)
			}
		}
		add(t)
	}
	return out
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
