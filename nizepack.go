// Package nizepack holds what the binary embeds from the module root: the default pins.
package nizepack

import _ "embed"

// DefaultVersions is the module's versions.env, the pins used when an app has none of its own.
//
//go:embed versions.env
var DefaultVersions []byte
