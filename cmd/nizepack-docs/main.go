// Command nizepack-docs writes nizepack's command reference (Markdown, one page per command)
// into a directory, docs/cli by default:
//
//	go run ./cmd/nizepack-docs [DIR]
//
// .ci/check-workflows.sh regenerates it into a temporary dir and fails when docs/cli differs.
package main

import (
	"fmt"
	"os"

	"github.com/nize/nizepack/internal/cli"
)

func main() {
	dir := "docs/cli"
	switch len(os.Args) {
	case 1:
	case 2:
		dir = os.Args[1]
	default:
		fmt.Fprintln(os.Stderr, "usage: nizepack-docs [DIR]")
		os.Exit(2)
	}
	if err := cli.WriteDocs(dir); err != nil {
		fmt.Fprintln(os.Stderr, "nizepack-docs:", err)
		os.Exit(1)
	}
}
