package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/mod/semver"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/internal/versions"
)

type versionsOptions struct {
	nodeVersion string
	json        bool
}

func newVersionsCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &versionsOptions{}
	cmd := &cobra.Command{
		Use:   "versions",
		Short: "Print each pin (versions.env) and where it came from",
		Long: `Prints every pin nizepack uses and the layer it came from: embedded (nizepack's own
versions.env), file (with the file and line: the app's versions.env, scripts/node-version.env and
scripts/bun-version.env, or --versions FILE), environment (NIZEPACK_<KEY>) or flag. Two app files
that pin a key differently are an error naming both.`,
		Example: `  nizepack versions
  nizepack versions update --check
  nizepack versions update --pin-checksums`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersions(s, g, o)
		},
	}
	cmd.Flags().StringVar(&o.nodeVersion, "node-version", "", "show the pins as they are with this Node.js version flag")
	cmd.Flags().BoolVar(&o.json, "json", false, "print one JSON document")
	cmd.AddCommand(newVersionsUpdateCmd(s, g))
	return cmd
}

func runVersions(s *Streams, g *globalOptions, o *versionsOptions) error {
	p, err := loadPins(s, g)
	if err != nil {
		return err
	}
	if o.nodeVersion != "" {
		if _, err := nodeVersion(p, o.nodeVersion); err != nil {
			return err
		}
	}
	type row struct {
		Key    string `json:"key"`
		Value  string `json:"value"`
		Source string `json:"source"`
		File   string `json:"file,omitempty"`
		Line   int    `json:"line,omitempty"`
	}
	var rows []row
	for _, k := range p.Keys() {
		v, _ := p.Get(k)
		r := row{Key: k, Value: v.Value, Source: string(v.Source)}
		switch src := string(v.Source); {
		case v.Source == pins.Embedded, v.Source == pins.Flag, strings.HasPrefix(src, string(pins.Env)):
		default:
			r.Source, r.File, r.Line = "file", src, v.Line
		}
		rows = append(rows, r)
	}
	if o.json {
		return writeDoc(s.Out, map[string]any{"pins": rows}, nil)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, r := range rows {
		src := r.Source
		if r.File != "" {
			src = fmt.Sprintf("file %s:%d", r.File, r.Line)
		}
		if r.Source == string(pins.Flag) && r.Key == pins.NodeVersion {
			src = "flag (--node-version)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Key, r.Value, src)
	}
	return tw.Flush()
}

type versionsUpdateOptions struct {
	src          nodeSourceFlags
	major        int
	pinChecksums bool
	check        bool
	json         bool
}

func newVersionsUpdateCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &versionsUpdateOptions{}
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Pin the newest published LTS release of the pinned Node.js major in versions.env",
		Long: `Reads <mirror>/index.json and picks the newest LTS release of the pinned major (or --major)
whose signature-verified SHASUMS256.txt lists the archives of all six platforms; releases the
index lists before their files are published, or whose checksums nothing trusted signs, are
skipped with a warning. It then rewrites NODE_VERSION in place and atomically, keeping comments
and order, in the file that pins it: --versions FILE, else the app's versions.env or
scripts/node-version.env (both, when both pin it), else ./versions.env, created.

Checksum pins (NODE_SHA256_*, NODE_BIN_SHA256_*) already in the file are refreshed for the new
version, since the old ones would refuse it; --pin-checksums writes one for every artifact of the
six platforms and one for the node binary of each (downloaded and verified like fetch-node).
--check changes nothing, for a scheduled workflow. Exit codes: 0 when versions.env is current,
3 when a newer release (or, with --pin-checksums, missing or different checksum pins) would be
written, 1 when it could not tell (a malformed versions.env, the mirror down, no signed release),
2 for a usage error.`,
		Example: `  nizepack versions update
  nizepack versions update --major 22 --pin-checksums
  nizepack versions update --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersionsUpdate(cmd, s, g, o)
		},
	}
	f := cmd.Flags()
	o.src.register(f)
	f.IntVar(&o.major, "major", 0, "Node.js major line to follow (default: the pinned NODE_VERSION's)")
	f.BoolVar(&o.pinChecksums, "pin-checksums", false, "also pin the SHA-256 of every artifact of the six platforms and of the node binary in each")
	f.BoolVar(&o.check, "check", false, "change nothing; exit 0 when versions.env is current, 3 when an update would change it, 1 when it could not tell")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func runVersionsUpdate(cmd *cobra.Command, s *Streams, g *globalOptions, o *versionsUpdateOptions) error {
	p, err := loadPins(s, g)
	if err != nil {
		return err
	}
	current, err := p.NodeVersion()
	if err != nil {
		return err
	}
	major := o.major
	if cmd.Flags().Changed("major") {
		if major <= 0 {
			return usageErrorf("--major %d: give a Node.js major version such as 24", major)
		}
	} else {
		major = pins.Major(current)
	}
	src, err := o.src.resolve(s, p, nodeSpec)
	if err != nil {
		return err
	}
	rep := newReporter(s, g)
	if src.insecure {
		rep.Warnf("--insecure-skip-signature: trusting the SHASUMS256.txt of every candidate release on %s without checking its signature", fetch.Redact(src.mirror))
	}
	client, err := fetch.New(src.clientOptions(rep))
	if err != nil {
		return err
	}
	end := rep.Group(fmt.Sprintf("versions update: newest LTS of Node %d on %s", major, fetch.Redact(src.mirror)))
	rel, err := versions.Newest(cmd.Context(), client, major, rep)
	end()
	if err != nil {
		return err
	}

	// The file that pins NODE_VERSION gets the new pins; another app file that pins it too
	// (alike, or loading would have refused) gets the new version and its pins refreshed.
	paths := pinFiles(g, p)
	// Never move a pin backwards within its major (the pin may be ahead of the mirror).
	move := semver.Compare("v"+rel.Version, "v"+current) > 0 || semver.Major("v"+rel.Version) != semver.Major("v"+current)
	write := move || (rel.Version == current && o.pinChecksums)
	binaryPins := o.pinChecksums
	for _, path := range paths {
		binaryPins = binaryPins || versions.HasBinaryPins(path)
	}
	if write && binaryPins {
		// Binary pins come from the archives themselves: fetched and verified like fetch-node.
		end := rep.Group(fmt.Sprintf("versions update: node binary pins of Node v%s", rel.Version))
		err := versions.DeriveBinaries(cmd.Context(), client, rel)
		end()
		if err != nil {
			return err
		}
	}
	changes := make([]versions.FileChange, len(paths))
	changed := false
	update := func(dryRun bool) error {
		for i, path := range paths {
			ch, err := versions.UpdateFile(path, rel, o.pinChecksums && i == 0, dryRun)
			if err != nil {
				return err
			}
			changes[i] = ch
		}
		return nil
	}
	// Every file is checked before any is written: one that cannot be updated leaves them all
	// as they were (and agreeing).
	if write {
		if err := update(true); err != nil {
			return err
		}
		if !o.check {
			if err := update(false); err != nil {
				return err
			}
		}
	}
	for i, path := range paths {
		changes[i].Path = path
		changed = changed || changes[i].Changed
	}
	change := changes[0]

	// --check that found a change fails with it (exit 3): the first file changed says which.
	var stale error
	for _, ch := range changes {
		if o.check && ch.Changed && stale == nil {
			if move {
				stale = &changedError{Message: fmt.Sprintf("%s: NODE_VERSION %s is behind Node v%s (LTS %s, %s)", ch.Path, current, rel.Version, rel.LTS, rel.Date), Hint: "run `nizepack versions update`"}
			} else {
				stale = &changedError{Message: fmt.Sprintf("%s: checksum pins of Node v%s are missing or differ", ch.Path, current), Hint: "run `nizepack versions update --pin-checksums`"}
			}
		}
	}
	if o.json {
		doc := map[string]any{
			"current": current, "newest": rel.Version, "lts": rel.LTS, "date": rel.Date,
			"update": move, "file": change, "skipped": nonNil(rel.Skipped), "check": o.check,
		}
		if len(changes) > 1 {
			doc["other_files"] = changes[1:]
		}
		if err := writeDoc(s.Out, doc, stale); err != nil {
			return err
		}
	} else {
		describe := fmt.Sprintf("Node v%s (LTS %s, %s)", rel.Version, rel.LTS, rel.Date)
		for _, ch := range changes {
			switch {
			case !ch.Changed:
			case o.check && move:
				fmt.Fprintf(s.Out, "%s: NODE_VERSION %s is behind %s; run `nizepack versions update`\n", ch.Path, current, describe)
			case o.check:
				fmt.Fprintf(s.Out, "%s: checksum pins of Node v%s are missing or differ; run `nizepack versions update --pin-checksums`\n", ch.Path, current)
			case move:
				fmt.Fprintf(s.Out, "%s: NODE_VERSION %s -> %s\n", ch.Path, current, describe)
			default:
				fmt.Fprintf(s.Out, "%s: checksum pins of Node v%s written\n", ch.Path, current)
			}
			if ch.Changed && !o.check && len(ch.Keys) > 1 {
				fmt.Fprintf(s.Out, "%s: %d checksum pins of Node v%s\n", ch.Path, len(ch.Keys)-1, rel.Version)
			}
		}
		switch {
		case changed:
		case !move && rel.Version != current:
			fmt.Fprintf(s.Out, "NODE_VERSION %s is newer than the newest verified LTS release, %s; left as is\n", current, describe)
		default:
			fmt.Fprintf(s.Out, "NODE_VERSION %s is current: the newest LTS release of Node %d with every platform published\n", current, major)
		}
	}
	if o.check && changed {
		return &ExitError{Code: ExitChanged}
	}
	return nil
}
