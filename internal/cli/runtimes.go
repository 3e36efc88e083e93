package cli

import (
	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/pins"
)

// runtimeSpec is one JS runtime as the CLI sees it: the release table entry, its pin keys, the
// command that fetches it and the flag that overrides its version. Node and Bun are the table.
type runtimeSpec struct {
	rt          *fetch.Runtime
	keys        pins.RuntimeKeys
	cmd         string // fetch-node, fetch-bun
	versionFlag string // node-version, bun-version
	pinFile     string // the app's own pin file of this runtime, beside versions.env
}

var (
	nodeSpec = runtimeSpec{rt: fetch.Node, keys: pins.NodeKeys, cmd: "fetch-node", versionFlag: "node-version", pinFile: "scripts/node-version.env"}
	bunSpec  = runtimeSpec{rt: fetch.Bun, keys: pins.BunKeys, cmd: "fetch-bun", versionFlag: "bun-version", pinFile: "scripts/bun-version.env"}
)

func runtimeSpecs() []runtimeSpec { return []runtimeSpec{nodeSpec, bunSpec} }

// runtimeSpecOf is the spec of a sidecar base name ("node", "bun").
func runtimeSpecOf(base string) (runtimeSpec, bool) {
	for _, r := range runtimeSpecs() {
		if r.rt.Base == base {
			return r, true
		}
	}
	return runtimeSpec{}, false
}
