// Package versions finds the Node.js release to pin: it reads a mirror's index.json and picks
// the newest LTS release of a major line whose signature-verified SHASUMS256.txt lists the
// archives of every platform, and it rewrites versions.env in place. It never prints; progress
// goes to a report.Reporter.
package versions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/target"
)

// Entry is one release in index.json.
type Entry struct {
	Version  string          `json:"version"` // "v24.21.0"
	Date     string          `json:"date"`
	Files    []string        `json:"files"`
	LTS      json.RawMessage `json:"lts"` // codename string or false
	Security bool            `json:"security"`
}

// Codename returns the LTS codename, or "" when the release is not LTS.
func (e Entry) Codename() string {
	var s string
	if json.Unmarshal(e.LTS, &s) == nil {
		return s
	}
	return ""
}

// Skipped is a release that index.json lists but that cannot be pinned (yet).
type Skipped struct {
	Version string `json:"version"`
	Reason  string `json:"reason"`
}

// Release is the chosen release.
type Release struct {
	Version string `json:"version"` // without "v"
	LTS     string `json:"lts"`
	Date    string `json:"date"`
	// Checksums maps every published artifact form of the six platforms (tar.gz, tar.xz, zip,
	// win-*/node.exe) to its signature-verified SHA-256, keyed by the pin name
	// (pins.ChecksumKey).
	Checksums map[string]string `json:"checksums"`
	// Binaries maps binary pin names (NODE_BIN_SHA256_<PLATFORM>, NODE_BIN_SHA256TREE_<PLATFORM>)
	// to the SHA-256 and tree hash of the node binary in that platform's verified default
	// archive, when the caller derived them (DeriveBinaries).
	Binaries map[string]string `json:"binaries,omitempty"`
	Skipped  []Skipped         `json:"skipped,omitempty"`
	// checksumKeys lists Checksums' keys in the targets table's order.
	checksumKeys []string
}

// FetchIndex reads <mirror>/index.json with the client's credentials, retries and stall timeout.
func FetchIndex(ctx context.Context, c *fetch.Client) ([]Entry, error) {
	u := fetch.Redact(c.Mirror()) + "/index.json"
	body, err := c.Get(ctx, "index.json")
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u, err)
	}
	var entries []Entry
	if err := json.Unmarshal(body, &entries); err != nil {
		return nil, fmt.Errorf("reading %s: it is not a Node.js index.json (a list of releases): %w", u, err)
	}
	return entries, nil
}

// NoLTSError is an index.json without an LTS release of the major asked for.
type NoLTSError struct {
	Index string
	Major int
}

func (e *NoLTSError) Error() string {
	return fmt.Sprintf("%s lists no LTS release of Node %d", e.Index, e.Major)
}

// Newest returns the newest LTS release of Node major whose signed SHASUMS256.txt lists the
// default archive of every platform (.tar.gz for macOS and Linux, .zip for Windows). Releases
// that are listed but not (fully) published, or whose sums nothing trusted vouches for, are
// skipped and reported.
func Newest(ctx context.Context, c *fetch.Client, major int, rep report.Reporter) (*Release, error) {
	rep = report.Or(rep)
	entries, err := FetchIndex(ctx, c)
	if err != nil {
		return nil, err
	}
	var candidates []Entry
	for _, e := range entries {
		v := "v" + strings.TrimPrefix(e.Version, "v")
		if !semver.IsValid(v) || semver.Prerelease(v) != "" || semver.Major(v) != "v"+strconv.Itoa(major) || e.Codename() == "" {
			continue
		}
		e.Version = strings.TrimPrefix(v, "v")
		candidates = append(candidates, e)
	}
	if len(candidates) == 0 {
		return nil, &NoLTSError{Index: fetch.Redact(c.Mirror()) + "/index.json", Major: major}
	}
	// Newest first by version, whatever the index's order.
	sort.SliceStable(candidates, func(i, j int) bool {
		return semver.Compare("v"+candidates[i].Version, "v"+candidates[j].Version) > 0
	})
	var skipped []Skipped
	for _, e := range candidates {
		sums, reason, err := verifiedSums(ctx, c, e.Version)
		if err != nil {
			return nil, err
		}
		if reason == "" {
			reason = missingArtifacts(e.Version, sums)
		}
		if reason != "" {
			rep.Warnf("skipping Node v%s: %s", e.Version, reason)
			skipped = append(skipped, Skipped{Version: e.Version, Reason: reason})
			continue
		}
		r := &Release{Version: e.Version, LTS: e.Codename(), Date: e.Date, Skipped: skipped}
		r.Checksums, r.checksumKeys = checksums(e.Version, sums)
		return r, nil
	}
	return nil, fmt.Errorf("no LTS release of Node %d on %s has signed checksums for all six platforms (%d skipped)", major, fetch.Redact(c.Mirror()), len(skipped))
}

// verifiedSums returns the trusted sums of a version, or a reason to skip it.
func verifiedSums(ctx context.Context, c *fetch.Client, version string) (fetch.Sums, string, error) {
	sums, err := c.VerifiedSums(ctx, version)
	if err == nil {
		return sums, "", nil
	}
	var sig *fetch.SignatureError
	if errors.As(err, &sig) {
		// Unsigned (mid-publication) or signed by someone untrusted: never pin it.
		return nil, "its SHASUMS256.txt is not signed by a trusted key (" + sig.Err.Error() + ")", nil
	}
	// The index can list a release before its files exist.
	var nf *fetch.NotFoundError
	if errors.As(err, &nf) {
		return nil, "it is listed in index.json but not published (no SHASUMS256.txt)", nil
	}
	return nil, "", err
}

// missingArtifacts names the platforms whose default archive the sums do not list.
func missingArtifacts(version string, sums fetch.Sums) string {
	var missing []string
	for _, t := range target.Single() {
		file, _, _ := fetch.Artifact(version, t, fetch.KindTarGz, fetch.KindZip)
		if _, ok := sums[file]; !ok {
			missing = append(missing, file)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "its signed SHASUMS256.txt does not list " + strings.Join(missing, ", ")
}

// checksums picks every artifact form fetch-node can download, as pin name → SHA-256.
func checksums(version string, sums fetch.Sums) (map[string]string, []string) {
	out := map[string]string{}
	var keys []string
	for _, t := range target.Single() {
		for _, k := range [][2]fetch.Kind{{fetch.KindTarGz, fetch.KindZip}, {fetch.KindTarXz, fetch.KindExe}} {
			file, _, _ := fetch.Artifact(version, t, k[0], k[1])
			if sum, ok := sums[file]; ok {
				key := pins.ChecksumKey(version, file)
				out[key] = strings.ToLower(sum)
				keys = append(keys, key)
			}
		}
	}
	return out, keys
}

// DeriveBinaries installs the node binary of every platform of the release into a temp dir
// (downloading into the client's cache, verified like fetch-node) and records each one's
// SHA-256 and tree hash in r.Binaries, keyed by pin name.
func DeriveBinaries(ctx context.Context, c *fetch.Client, r *Release) error {
	dir, err := os.MkdirTemp("", "nizepack-pins-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	res, err := c.Install(ctx, fetch.Request{Version: r.Version, OutDir: dir, TreeSums: true}, target.Single()...)
	if err != nil {
		return fmt.Errorf("deriving the node binary pins of Node v%s: %w", r.Version, err)
	}
	r.Binaries = map[string]string{}
	for _, x := range res {
		r.Binaries[pins.BinaryKey(x.Platform)] = x.SHA256
		r.Binaries[pins.BinaryTreeKey(x.Platform)] = x.TreeSHA256
	}
	return nil
}
