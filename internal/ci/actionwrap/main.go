// Command actionwrap prints a GitHub workflow that exercises a composite action.yml, so that
// actionlint (which lints workflows, not action metadata) can check it: one job calls the action
// with every input (checking its inputs against the metadata), and one job runs the action's
// steps inline under a workflow_dispatch trigger with the same inputs (checking their
// expressions, contexts and `uses:` pins). Used by .ci/check-workflows.sh:
//
//	go run ./internal/ci/actionwrap action.yml > .github/workflows/x.yml
package main

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

type action struct {
	Name   string               `yaml:"name"`
	Inputs map[string]yamlInput `yaml:"inputs"`
	Runs   struct {
		Using string           `yaml:"using"`
		Steps []map[string]any `yaml:"steps"`
	} `yaml:"runs"`
}

type yamlInput struct {
	Description string `yaml:"description"`
	Required    bool   `yaml:"required"`
	Default     string `yaml:"default"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: actionwrap action.yml")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var a action
	if err := yaml.Unmarshal(data, &a); err != nil {
		fail(fmt.Errorf("reading %s: %w", os.Args[1], err))
	}
	if a.Runs.Using != "composite" {
		fail(fmt.Errorf("%s: runs.using is %q, not composite", os.Args[1], a.Runs.Using))
	}
	dispatch := map[string]any{}
	with := map[string]any{}
	for name, in := range a.Inputs {
		dispatch[name] = map[string]any{"description": in.Description, "required": in.Required, "default": in.Default, "type": "string"}
		with[name] = "${{ inputs." + name + " }}"
	}
	checkout := map[string]any{
		"uses": "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
		"with": map[string]any{"persist-credentials": false},
	}
	wf := map[string]any{
		"name":        "actionwrap " + a.Name,
		"on":          map[string]any{"workflow_dispatch": map[string]any{"inputs": dispatch}},
		"permissions": map[string]any{},
		"jobs": map[string]any{
			"use": map[string]any{
				"runs-on": "ubuntu-latest",
				"steps":   []any{checkout, map[string]any{"uses": "./", "with": with}},
			},
			"inline": map[string]any{
				"runs-on": "ubuntu-latest",
				"steps":   a.Runs.Steps,
			},
		},
	}
	out, err := yaml.Marshal(wf)
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "actionwrap:", err)
	os.Exit(1)
}
