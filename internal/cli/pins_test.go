package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The app's pin files are found at its root (the working directory, else the repository root
// above it), and the writers write NODE_VERSION where it lives.
func TestAppPinFiles(t *testing.T) {
	const nodeEnv = "# sourced by scripts/download-node.sh\n# and hashed into the CI cache key\nNODE_VERSION=24.3.0\n"
	tests := []struct {
		name  string
		files map[string]string // repository files; a .git dir is at the root
		cwd   string
		read  []string // appPinFiles, relative to cwd
		write []string // pinFiles
		err   string
	}{
		{
			name:  "no pin file: the embedded pins, versions.env created",
			files: map[string]string{},
			read:  nil,
			write: []string{"versions.env"},
		},
		{
			name:  "versions.env",
			files: map[string]string{"versions.env": "NODE_VERSION=24.21.0\n"},
			read:  []string{"versions.env"},
			write: []string{"versions.env"},
		},
		{
			name:  "scripts/node-version.env and scripts/bun-version.env",
			files: map[string]string{"scripts/node-version.env": nodeEnv, "scripts/bun-version.env": "BUN_VERSION=1.3.9\n"},
			read:  []string{"scripts/node-version.env", "scripts/bun-version.env"},
			write: []string{"scripts/node-version.env"},
		},
		{
			name:  "from a subfolder, the repository root's",
			files: map[string]string{"scripts/node-version.env": nodeEnv, "packages/desktop/package.json": "{}"},
			cwd:   "packages/desktop",
			read:  []string{"../../scripts/node-version.env"},
			write: []string{"../../scripts/node-version.env"},
		},
		{
			name:  "a versions.env without NODE_VERSION: the Node pin stays in scripts/node-version.env",
			files: map[string]string{"versions.env": "NODE_MIRROR=https://mirror.example/node\n", "scripts/node-version.env": nodeEnv},
			read:  []string{"versions.env", "scripts/node-version.env"},
			write: []string{"scripts/node-version.env"},
		},
		{
			name:  "both pin the same version: both are written",
			files: map[string]string{"versions.env": "NODE_VERSION=24.3.0\n", "scripts/node-version.env": nodeEnv},
			read:  []string{"versions.env", "scripts/node-version.env"},
			write: []string{"versions.env", "scripts/node-version.env"},
		},
		{
			name:  "bun-version.env alone: versions.env is created for the Node pin",
			files: map[string]string{"scripts/bun-version.env": "BUN_VERSION=1.3.9\n"},
			read:  []string{"scripts/bun-version.env"},
			write: []string{"versions.env"},
		},
		{
			name:  "they disagree",
			files: map[string]string{"versions.env": "# pins\n\nNODE_VERSION=24.21.0\n", "scripts/node-version.env": nodeEnv},
			err:   "versions.env:3 pins NODE_VERSION=24.21.0 but " + filepath.FromSlash("scripts/node-version.env") + ":3 pins 24.3.0: keep the pin in one file (remove it from one of them)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			os.Mkdir(filepath.Join(root, ".git"), 0o755)
			for name, text := range tt.files {
				p := filepath.Join(root, filepath.FromSlash(name))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(filepath.Join(root, filepath.FromSlash(tt.cwd)))
			s := &Streams{Environ: func() []string { return nil }}
			g := &globalOptions{}
			p, err := loadPins(s, g)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(appPinFiles(), " "), slashes(tt.read); got != want {
				t.Errorf("read %q, want %q", got, want)
			}
			if got, want := strings.Join(pinFiles(g, p), " "), slashes(tt.write); got != want {
				t.Errorf("write %q, want %q", got, want)
			}
			// --versions FILE replaces them all.
			g.versionsFile = "other.env"
			g.versionsCreated = true
			if got := strings.Join(pinFiles(g, p), " "); got != "other.env" {
				t.Errorf("with --versions, write %q", got)
			}
		})
	}
}

func slashes(paths []string) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.FromSlash(p)
	}
	return strings.Join(out, " ")
}
