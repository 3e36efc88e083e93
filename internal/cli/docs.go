package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra/doc"
)

// WriteDocs writes one Markdown page per command into dir (cobra's doc generator), removing
// pages of commands that no longer exist. The output depends only on the command tree, never on
// the machine or the date, so CI can regenerate it and diff.
func WriteDocs(dir string) error {
	root := NewRoot(&Streams{Getenv: func(string) string { return "" }, Environ: func() []string { return nil }})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("removing %s: %w", f, err)
		}
	}
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return fmt.Errorf("writing command docs into %s: %w", dir, err)
	}
	return nil
}
