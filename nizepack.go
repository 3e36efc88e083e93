// Package nizepack holds what the binary embeds from the module root: the default pins. The
// reusable packages are fetch, bundle, sidecars, tauri, target and report; the command is
// cmd/nizepack.
package nizepack

import (
	"bytes"
	_ "embed"
)

//go:embed versions.env
var defaultVersions []byte

// DefaultVersions returns the module's versions.env, the pins used when an app has none of its
// own.
func DefaultVersions() []byte { return bytes.Clone(defaultVersions) }
