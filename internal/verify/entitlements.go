package verify

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/tauri"
)

// entitlements checks, for a macOS build that ships node as a sidecar, that the app's
// entitlements let node run under the hardened runtime (Tauri signs sidecars with them).
func (v *verifier) entitlements(externalBin any) {
	list, _ := externalBin.([]any)
	shipsNode := slices.ContainsFunc(list, func(e any) bool {
		s, _ := e.(string)
		s, _ = tauri.NormalizeExternalBin(s)
		base := path.Base(s)
		_, runtime := fetch.RuntimeByBase(base)
		return s != "" && (base == v.nodeName() || runtime) // node and bun both compile code at run time
	})
	if !shipsNode {
		return
	}
	fix := v.cmd("tauri --entitlements")
	file, err := v.opts.Project.EntitlementsFile()
	if err != nil {
		return // the config itself was read fine by Check; nothing more to say here
	}
	if file == "" {
		v.problem(v.opts.Project.Base.Path, "sets no bundle.macOS.entitlements, so node (a sidecar signed with the app's entitlements) dies with SIGTRAP under the hardened runtime", fix)
		return
	}
	v.r.Checked = append(v.r.Checked, file)
	dict, err := tauri.ReadEntitlements(file)
	var perr *fs.PathError
	switch {
	case errors.As(err, &perr) && errors.Is(err, fs.ErrNotExist):
		v.problem(file, "is missing (named by bundle.macOS.entitlements)", fix)
		return
	case err != nil:
		v.problem(file, "cannot be read as a property list ("+errors.Unwrap(err).Error()+")", "repair or remove it, then "+fix)
		return
	}
	if missing := tauri.MissingEntitlements(dict, nize.NodeEntitlements()); len(missing) > 0 {
		v.problem(file, "does not grant "+strings.Join(missing, " and ")+", so node dies with SIGTRAP under the hardened runtime", fix)
	}
}
