// Command nizepack makes the Nize Desktop Tauri app ready to package.
package main

import (
	"context"
	"os"

	"github.com/nize/nizepack/internal/cli"
)

func main() {
	ctx, stop := cli.SignalContext(context.Background())
	code := cli.Main(ctx, cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
