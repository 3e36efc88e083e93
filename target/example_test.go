package target_test

import (
	"fmt"

	"github.com/nize/nizepack/target"
)

// Parse takes a friendly name, an alias or a Rust triple; SidecarPath applies Tauri's
// externalBin naming rule.
func ExampleParse() {
	for _, name := range []string{"macos-aarch64", "x86_64-pc-windows-msvc", "macos-universal"} {
		t, err := target.Parse(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(t.Name, t.Triple, t.SidecarPath("binaries/node"))
	}
	_, err := target.Parse("macos-arm")
	fmt.Println(err != nil)
	// Output:
	// macos-arm64 aarch64-apple-darwin binaries/node-aarch64-apple-darwin
	// windows-x86_64 x86_64-pc-windows-msvc binaries/node-x86_64-pc-windows-msvc.exe
	// macos-universal universal-apple-darwin binaries/node-universal-apple-darwin
	// true
}

// A universal macOS target is made of its two single-architecture slices.
func ExampleTarget_SliceTargets() {
	t, _ := target.Parse("macos-universal")
	for _, s := range t.SliceTargets() {
		fmt.Println(s.Name, s.NodeDist)
	}
	// Output:
	// macos-arm64 darwin-arm64
	// macos-x86_64 darwin-x64
}
