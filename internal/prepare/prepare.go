// Package prepare runs every step that makes a Tauri app ready to package for one target —
// tauri config, fetch-node, bundle-pglite, sidecars, verify, and optionally smoke — as the one
// CI step. Each step writes atomically, so a failure leaves the earlier steps' outputs intact.
package prepare

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/internal/smoke"
	"github.com/nize/nizepack/internal/verify"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/sidecars"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// Step names, in the order they run.
const (
	StepTauri    = "tauri"
	StepFetch    = "fetch-node"
	StepBundle   = "bundle-pglite"
	StepSidecars = "sidecars"
	StepBundles  = "bundles" // the app's other JS bundles (nizepack.json)
	StepVerify   = "verify"
	StepSmoke    = "smoke"
)

// Options say what to prepare. Node.OutDir and Bundle.Out default to the Tauri dir's
// binaries/ and resources/pglite/.
type Options struct {
	Target   target.Target
	TauriDir string // the app's Tauri dir (required)
	// ConfigPath, when set, is the Tauri config to use instead of the Tauri dir's.
	ConfigPath string
	Tauri      tauri.Options
	Fetch      fetch.Options // the runtime's release client (Fetch.Runtime: Node, Bun)
	Node       fetch.Request // the runtime release to install
	Bundle     bundle.Options
	// Bundles are the app's other JS bundles (declared in nizepack.json), built after the
	// PGlite server; none skips the step.
	Bundles []bundle.Options
	// Sidecars nil skips the sidecars step (runs before the Rust build); verify then leaves the
	// Rust sidecars out.
	Sidecars *sidecars.Options
	// Smoke nil skips the smoke step; Node and Server are filled in.
	Smoke  *smoke.Options
	Report report.Reporter
}

// StepResult is what one step did.
type StepResult struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	Written  []string      `json:"written"`           // files this run (re)wrote
	Bytes    int64         `json:"bytes"`             // their total size
	Detail   string        `json:"detail,omitempty"`  // e.g. "up to date"
	Skipped  string        `json:"skipped,omitempty"` // why the step did not run
	Error    string        `json:"error,omitempty"`
}

// Summary is the whole run.
type Summary struct {
	Platform string         `json:"platform"`
	Triple   string         `json:"triple"`
	Steps    []StepResult   `json:"steps"`
	Total    time.Duration  `json:"total_ns"`
	Verify   *verify.Report `json:"verify,omitempty"`
	Smoke    *smoke.Result  `json:"smoke,omitempty"`
}

// Written lists every file the run wrote, in step order.
func (s *Summary) Written() []string {
	var out []string
	for _, st := range s.Steps {
		out = append(out, st.Written...)
	}
	return out
}

// StepError is a failed step; the Summary returned with it holds the steps that ran.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("prepare: step %s failed: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// VerifyError means the verify step found problems (listed in Summary.Verify).
type VerifyError struct{ Problems int }

func (e *VerifyError) Error() string {
	return fmt.Sprintf("%d problem(s) stand between this tree and `tauri build`", e.Problems)
}

// state is one prepare call: its options and what earlier steps found.
type state struct {
	ctx     context.Context
	opts    Options
	project *tauri.Project // the config as the tauri step left it
	sum     *Summary
}

// step is one stage of prepare. skip, when not nil, says why the step does not run ("" = run).
type step struct {
	name string
	skip func(*state) string
	run  func(*state, *StepResult) error
}

// steps are prepare's stages, in order: each later one reads what the earlier ones wrote.
var steps = []step{
	{StepTauri, nil, (*state).tauri},
	{StepFetch, nil, (*state).fetchNode},
	{StepBundle, nil, (*state).bundle},
	{StepBundles, func(s *state) string { return skipIf(len(s.opts.Bundles) == 0, "none declared (nizepack.json)") }, (*state).bundles},
	{StepSidecars, func(s *state) string { return skipIf(s.opts.Sidecars == nil, "--skip-sidecars") }, (*state).sidecars},
	{StepVerify, nil, (*state).verify},
	{StepSmoke, func(s *state) string { return smokeSkip(s.opts) }, (*state).smoke},
}

// Run prepares the app for opts.Target. It returns the summary of every step that ran, and a
// *StepError naming the first step that failed.
func Run(ctx context.Context, opts Options) (*Summary, error) {
	return run(ctx, opts, steps)
}

// run runs steps in order: a skipped one is recorded with its reason, the first that fails
// ends the run.
func run(ctx context.Context, opts Options, steps []step) (*Summary, error) {
	t := opts.Target
	rep := report.Or(opts.Report)
	if opts.Node.OutDir == "" {
		opts.Node.OutDir = filepath.Join(opts.TauriDir, nize.BinariesDir)
	}
	if opts.Bundle.Out == "" {
		opts.Bundle.Out = filepath.Join(opts.TauriDir, filepath.FromSlash(nize.BundleDir))
	}
	st := &state{ctx: ctx, opts: opts, sum: &Summary{Platform: t.Name, Triple: t.Triple}}
	start := time.Now()
	defer func() { st.sum.Total = time.Since(start) }()

	for _, s := range steps {
		r := StepResult{Name: s.name}
		if s.name == StepFetch {
			r.Name = "fetch-" + runtimeOf(opts).Base // fetch-node, fetch-bun
		}
		if s.skip != nil {
			r.Skipped = s.skip(st)
		}
		if r.Skipped != "" {
			rep.Infof("%s: skipped: %s", r.Name, r.Skipped)
			st.sum.Steps = append(st.sum.Steps, r)
			continue
		}
		end := rep.Group("prepare " + t.Name + ": " + r.Name)
		began := time.Now()
		err := s.run(st, &r)
		r.Duration = time.Since(began)
		end()
		if err == nil && len(r.Written) == 0 && r.Detail == "" {
			r.Detail = "up to date"
		}
		if err != nil {
			r.Error = err.Error()
			st.sum.Steps = append(st.sum.Steps, r)
			return st.sum, &StepError{Step: r.Name, Err: err}
		}
		st.sum.Steps = append(st.sum.Steps, r)
	}
	return st.sum, nil
}

func (s *state) tauri(r *StepResult) error {
	p, err := open(s.opts)
	if err != nil {
		return err
	}
	changes, err := tauri.Plan(p, s.opts.Tauri)
	if err != nil {
		return err
	}
	if r.Written, err = tauri.Apply(s.ctx, changes); err != nil {
		return err
	}
	// Later steps read the config as rewritten.
	s.project, err = open(s.opts)
	return err
}

func (s *state) fetchNode(r *StepResult) error {
	client, err := fetch.New(s.opts.Fetch)
	if err != nil {
		return err
	}
	res, err := client.Install(s.ctx, s.opts.Node, s.opts.Target)
	for _, x := range res {
		if !x.UpToDate {
			r.Written = append(r.Written, x.Path)
			r.Bytes += x.Size
		}
	}
	return err
}

func (s *state) bundle(r *StepResult) error {
	res, err := bundle.Build(s.ctx, s.opts.Bundle)
	if err != nil {
		return err
	}
	if !res.UpToDate {
		for _, f := range res.Files {
			// Named from the Out given, like the other steps' paths (res.Out is absolute).
			r.Written = append(r.Written, filepath.Join(s.opts.Bundle.Out, f.Name))
			r.Bytes += f.Size
		}
	}
	return nil
}

func (s *state) bundles(r *StepResult) error {
	fresh := 0
	for _, o := range s.opts.Bundles {
		res, err := bundle.Build(s.ctx, o)
		if err != nil {
			return fmt.Errorf("bundling %s: %w", o.File, err)
		}
		if !res.UpToDate {
			fresh++
			for _, f := range res.Files {
				r.Written = append(r.Written, filepath.Join(o.Out, f.Name))
				r.Bytes += f.Size
			}
		}
	}
	if fresh == 0 {
		r.Detail = "up to date"
	}
	return nil
}

func (s *state) sidecars(r *StepResult) error {
	so := *s.opts.Sidecars
	so.Project, so.Target = s.project, s.opts.Target
	if so.Reporter == nil {
		so.Reporter = s.opts.Report
	}
	done, err := sidecars.Install(s.ctx, so)
	for _, d := range done {
		if !d.UpToDate {
			r.Written = append(r.Written, d.Path)
			if fi, err := os.Stat(d.Path); err == nil {
				r.Bytes += fi.Size()
			}
		}
	}
	return err
}

func (s *state) verify(r *StepResult) error {
	skipSidecars := s.opts.Sidecars == nil
	var bundleDirs []string
	for _, b := range s.opts.Bundles {
		if rel, err := filepath.Rel(s.opts.TauriDir, b.Out); err == nil {
			bundleDirs = append(bundleDirs, filepath.ToSlash(rel))
		}
	}
	rp, err := verify.Check(s.ctx, verify.Options{Project: s.project, Target: s.opts.Target, ConfigPath: s.opts.ConfigPath, SkipSidecars: skipSidecars, SidecarName: s.opts.Node.Name, BundleDirs: bundleDirs})
	if err != nil {
		return err
	}
	r.Detail = fmt.Sprintf("%d paths checked", len(rp.Checked))
	if skipSidecars {
		r.Detail += "; Rust sidecars not checked (--skip-sidecars)"
	}
	s.sum.Verify = rp
	if !rp.OK() {
		return &VerifyError{Problems: len(rp.Problems)}
	}
	return nil
}

func (s *state) smoke(r *StepResult) error {
	so := *s.opts.Smoke
	name := s.opts.Node.Name // NODE_SIDECAR_NAME; Bun keeps its own
	if name == "" || runtimeOf(s.opts) != fetch.Node {
		name = runtimeOf(s.opts).Base
	}
	so.Node = filepath.Join(s.opts.Node.OutDir, fetch.SidecarName(name, s.opts.Target))
	so.Server = filepath.Join(s.opts.Bundle.Out, bundle.ServerFile)
	if so.Report == nil {
		so.Report = s.opts.Report
	}
	res, err := smoke.Run(s.ctx, so)
	s.sum.Smoke = res
	if err == nil {
		r.Detail = fmt.Sprintf("passed %d checks", len(res.Steps))
		if len(res.Steps) > 0 {
			r.Detail += fmt.Sprintf(", server up in %s", res.Steps[0].Duration.Round(time.Millisecond))
		}
	}
	return err
}

// runtimeOf is the JS runtime the app ships, which the fetch step installs and smoke runs.
func runtimeOf(opts Options) *fetch.Runtime {
	if opts.Fetch.Runtime != nil {
		return opts.Fetch.Runtime
	}
	return fetch.Node
}

func open(opts Options) (*tauri.Project, error) {
	if opts.ConfigPath != "" {
		return tauri.Open(opts.ConfigPath)
	}
	return tauri.OpenDir(opts.TauriDir)
}

func skipIf(cond bool, why string) string {
	if cond {
		return why
	}
	return ""
}

func smokeSkip(opts Options) string {
	if opts.Smoke == nil {
		return "not asked for (--smoke)"
	}
	if err := smoke.Runnable(opts.Target); err != nil {
		return "not runnable here, not tested: " + err.Error()
	}
	return ""
}
