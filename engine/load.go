package engine

import (
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// Policy is a loaded, checked and compiled policy. It is immutable and
// safe for concurrent use.
type Policy struct {
	path  string
	rules *rules.Policy

	evaluators sync.Map // evaluator.Options → *evaluator.Evaluator, made once
}

// evaluator returns the policy's evaluator for opts, made on first use:
// an evaluator is immutable and safe for concurrent use, so a service
// answering many small requests prepares it once.
func (p *Policy) evaluator(opts evaluator.Options) *evaluator.Evaluator {
	if ev, ok := p.evaluators.Load(opts); ok {
		return ev.(*evaluator.Evaluator)
	}
	ev, _ := p.evaluators.LoadOrStore(opts, evaluator.New(p.rules, opts))
	return ev.(*evaluator.Evaluator)
}

// Env is an environment policies are compiled in: the CEL and expr
// compilers with their program caches. Loading several policies (or two
// versions of one, as rubric diff and rubric test do) in one Env compiles
// each distinct expression once. An Env is safe for concurrent use; a
// process may hold several (a service keeps one, tests make their own).
type Env struct {
	compilers []rules.Compiler
}

// NewEnv returns an environment with fresh compilers and empty caches.
func NewEnv() *Env {
	return &Env{compilers: []rules.Compiler{evaluator.NewCEL(), evaluator.NewExpr()}}
}

// defaultEnv is what the package-level Load and LoadSources use.
var defaultEnv = sync.OnceValue(NewEnv)

// Close releases the environment's caches (each has a goroutine of its
// own). Nothing may use the environment while or after it closes: the
// default one lives as long as the process, and so does a service's.
func (e *Env) Close() { evaluator.CloseCaches(e.compilers...) }

// CompileCacheStats sums the program-cache statistics of the environment's
// compilers.
func (e *Env) CompileCacheStats() evaluator.CacheStats {
	var s evaluator.CacheStats
	for _, c := range e.compilers {
		cs := evaluator.CompilerCacheStats(c)
		s.Hits += cs.Hits
		s.Misses += cs.Misses
	}
	return s
}

// Load reads, parses, resolves and compiles the policy at path (a
// directory or a single file). err is for files that cannot be read;
// problems in the policy are diagnostics. The policy is nil when there are
// errors.
func (e *Env) Load(path string) (*Policy, hcl.Diagnostics, error) {
	srcs, err := dsl.ReadSources(path)
	if err != nil {
		return nil, nil, err
	}
	p, diags := e.LoadSources(path, srcs)
	return p, diags, nil
}

// LoadSources is Load for policy files already in memory.
func (e *Env) LoadSources(path string, srcs []dsl.Source) (*Policy, hcl.Diagnostics) {
	return loadSources(path, srcs, func() *Env { return e })
}

// loadSources parses the policy files before it asks for the environment
// that compiles them: the default one may still be in the making on
// another core (Prepare).
func loadSources(path string, srcs []dsl.Source, env func() *Env) (*Policy, hcl.Diagnostics) {
	ast, diags := dsl.Parse(srcs)
	return loadParsed(path, ast, diags, env)
}

// loadParsed resolves and compiles parsed policy files.
func loadParsed(path string, ast *dsl.Policy, diags hcl.Diagnostics, env func() *Env) (*Policy, hcl.Diagnostics) {
	e := env()
	rp, rdiags := rules.Resolve(ast, e.compilers...)
	evaluator.SettleCaches(e.compilers...)
	diags = append(diags, rdiags...)
	dsl.SortDiagnostics(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	return &Policy{path: path, rules: rp}, diags
}

// Prepare starts building the process's default environment (CEL's
// standard library) on another goroutine, so that the work overlaps
// reading and parsing the policy files; Load and LoadSources wait for it.
// A command line calls it first thing.
func Prepare() {
	go func() { evaluator.WarmUp(defaultEnv().compilers...) }()
}

// readAhead is a policy being read and parsed ahead of its load (ReadAhead).
type readAhead struct {
	path  string
	done  chan struct{}
	ok    bool // read and parsed without a panic
	srcs  []dsl.Source
	err   error
	ast   *dsl.Policy
	diags hcl.Diagnostics
}

var ahead atomic.Pointer[readAhead]

// ReadAhead starts reading and parsing the policy at path on another
// goroutine, for the next LoadPath of the same path, which takes it as
// read then (once). A command line calls it as soon as it sees the
// policy's path, while it sets itself up; ReadAhead("") drops what was
// read ahead and not taken, so that a later load reads the files afresh.
func ReadAhead(path string) {
	if path == "" {
		ahead.Store(nil)
		return
	}
	ra := &readAhead{path: path, done: make(chan struct{})}
	ahead.Store(ra)
	go func() {
		defer close(ra.done)
		defer func() { recover() }() // not ok: LoadPath does it again, where a panic is caught
		ra.srcs, ra.err = dsl.ReadSources(path)
		if ra.err == nil {
			ra.ast, ra.diags = dsl.Parse(ra.srcs)
		}
		ra.ok = true
	}()
}

// LoadPath is Load in the process's default environment, which also
// returns the policy's files (to print its diagnostics with). A policy read
// ahead (ReadAhead) from path is taken as it was read.
func LoadPath(path string) (*Policy, []dsl.Source, hcl.Diagnostics, error) {
	if ra := ahead.Swap(nil); ra != nil && ra.path == path {
		if <-ra.done; ra.ok {
			if ra.err != nil {
				return nil, nil, nil, ra.err
			}
			p, diags := loadParsed(path, ra.ast, ra.diags, defaultEnv)
			return p, ra.srcs, diags, nil
		}
	}
	srcs, err := dsl.ReadSources(path)
	if err != nil {
		return nil, nil, nil, err
	}
	p, diags := LoadSources(path, srcs)
	return p, srcs, diags, nil
}

// Load is Env.Load in the process's default environment.
func Load(path string) (*Policy, hcl.Diagnostics, error) { return defaultEnv().Load(path) }

// LoadSources is Env.LoadSources in the process's default environment.
func LoadSources(path string, srcs []dsl.Source) (*Policy, hcl.Diagnostics) {
	return loadSources(path, srcs, defaultEnv)
}

// PolicyRef identifies a policy text: what outcomes and reports name.
type PolicyRef struct {
	Path    string `json:"path"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// Rules is the resolved policy model: its metrics, targets, scorecards,
// breach rules and incentives, with their source ranges. It is shared by
// every evaluation of p and must not be changed.
func (p *Policy) Rules() *rules.Policy { return p.rules }

// Path is the file or directory p was loaded from.
func (p *Policy) Path() string { return p.path }

// Ref identifies p.
func (p *Policy) Ref() PolicyRef {
	return PolicyRef{Path: p.path, Name: p.rules.Name, Version: p.rules.Version, Digest: p.rules.Digest}
}

// RemoveTemporaries removes every temporary file and directory the engine
// still holds (a half-written output, a spooled input, an export being
// written): what the command line calls when it is interrupted.
func RemoveTemporaries() { fsutil.RemoveAll() }

// WriteJSON writes v as indented JSON and a newline: the machine format of
// the capabilities' reports.
func WriteJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
