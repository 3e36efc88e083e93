package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// manifest is nizepack-manifest.json in the output dir: what nizepack wrote there (the only
// files a later run may replace or remove) and what it was made from.
type manifest struct {
	Tool     string            `json:"tool"`
	Format   int               `json:"format"`
	Key      string            `json:"key"`
	Target   string            `json:"target"`
	Entry    string            `json:"entry"`
	Packages map[string]string `json:"packages"`
	Files    []File            `json:"files"`
	// Inputs are relative to the package dir.
	Inputs []File `json:"inputs"`
	// Seed is the seed among Files, when there is one.
	Seed *SeedInfo `json:"seed,omitempty"`
}

// settings is everything besides the input files that decides the output.
type settings struct {
	Format         int
	Esbuild        string
	Target         string
	Minify         bool
	Sourcemap      bool
	Entry          string // absolute, or empty for the embedded one
	EmbeddedSHA256 string
	PackageDir     string
	Output         string // the output file, platform and banner asked for
	Inputs         []File
}

// key digests the settings and the inputs' hashes: equal keys mean equal output.
func (s settings) key() string {
	h := sha256.New()
	fmt.Fprintf(h, "format=%d\nesbuild=%s\ntarget=%s\nminify=%t\nsourcemap=%t\nentry=%s\nembedded=%s\npkgdir=%s\noutput=%s\n",
		s.Format, s.Esbuild, s.Target, s.Minify, s.Sourcemap, s.Entry, s.EmbeddedSHA256, s.PackageDir, s.Output)
	for _, in := range s.Inputs {
		fmt.Fprintf(h, "input %s %d %s\n", in.Name, in.Size, in.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func readManifest(out string) *manifest {
	data, err := os.ReadFile(filepath.Join(out, ManifestFile))
	if err != nil {
		return nil
	}
	var m manifest
	if json.Unmarshal(data, &m) != nil || m.Tool != "nizepack bundle-pglite" {
		return nil
	}
	// Only plain names count as ours: a manifest can never make nizepack touch another path.
	files := m.Files[:0]
	for _, f := range m.Files {
		if validName(f.Name) {
			files = append(files, f)
		}
	}
	m.Files = files
	return &m
}

func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\:`) && name != ManifestFile
}

func writeManifest(path string, m *manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(data, '\n'))
}

// upToDate reports whether out already holds what these settings would build: the inputs the
// manifest lists still hash the same, no npm install happened since, and every output file is
// intact.
func upToDate(out, pkgDir string, s settings, m *manifest) (*Result, bool) {
	if m.Format != formatVersion || len(m.Files) == 0 {
		return nil, false
	}
	inputs := make([]File, 0, len(m.Inputs))
	listed := map[string]bool{}
	for _, in := range m.Inputs {
		p := filepath.Join(pkgDir, filepath.FromSlash(in.Name))
		sum, size, err := hashFile(p)
		if err != nil {
			return nil, false
		}
		inputs = append(inputs, File{Name: in.Name, Size: size, SHA256: sum})
		listed[filepath.Clean(p)] = true
	}
	for _, lock := range lockFiles(pkgDir, listed) {
		if !listed[filepath.Clean(lock)] {
			return nil, false // npm installed something since
		}
	}
	s.Inputs = inputs
	if s.key() != m.Key {
		return nil, false
	}
	if _, problems := checkFiles(out, m.Files); len(problems) > 0 {
		return nil, false
	}
	return &Result{Out: out, UpToDate: true, Entry: m.Entry, Target: m.Target, Packages: m.Packages, Files: m.Files, Seed: m.Seed}, true
}

// seedCurrent reports whether the manifest's seed is the one asked for (database, "" = none).
// Whether it still matches the bundle is the rest of the up-to-date check: the seed's key
// follows from the outputs, whose hashes upToDate checks.
func seedCurrent(m *manifest, database string) bool {
	if database == "" {
		return m.Seed == nil
	}
	if m.Seed == nil || m.Seed.Database != database || m.Seed.File != SeedFile {
		return false
	}
	return m.Seed.Key == seedKey(m.Files, m.Packages, database)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// copyFile copies src to dst (mode 0644) and returns the SHA-256 of what it copied.
func copyFile(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", src, err)
	}
	defer in.Close()
	outf, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", dst, err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(outf, h), in); err != nil {
		outf.Close()
		return "", fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	if err := outf.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", dst, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// OutputProblem is a file of a bundle dir that does not match the manifest there.
type OutputProblem struct {
	Path string // the file (or the manifest itself)
	What string // e.g. "is missing (listed in nizepack-manifest.json)"
}

// CheckOutput compares a bundle dir with the manifest bundle-pglite left in it: every file it
// lists must be there, regular, of the listed size and SHA-256. It returns the paths it
// checked and every problem; a missing or foreign manifest is one problem.
func CheckOutput(dir string) (checked []string, problems []OutputProblem) {
	mpath := filepath.Join(dir, ManifestFile)
	checked = append(checked, mpath)
	if _, err := os.Stat(mpath); err != nil {
		return checked, []OutputProblem{{mpath, "is missing, so the PGlite bundle cannot be checked"}}
	}
	m := readManifest(dir)
	if m == nil || len(m.Files) == 0 {
		return checked, []OutputProblem{{mpath, "is not a manifest written by `nizepack bundle-pglite`"}}
	}
	more, problems := checkFiles(dir, m.Files)
	return append(checked, more...), problems
}

func checkFiles(dir string, files []File) (checked []string, problems []OutputProblem) {
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		checked = append(checked, p)
		st, err := os.Lstat(p)
		switch {
		case err != nil || !st.Mode().IsRegular():
			problems = append(problems, OutputProblem{p, "is missing (listed in " + ManifestFile + ")"})
		case st.Size() != f.Size:
			problems = append(problems, OutputProblem{p, fmt.Sprintf("is %d bytes, but %s says %d", st.Size(), ManifestFile, f.Size)})
		default:
			if sum, _, err := hashFile(p); err != nil || sum != f.SHA256 {
				problems = append(problems, OutputProblem{p, "does not match the SHA-256 in " + ManifestFile})
			}
		}
	}
	return checked, problems
}
