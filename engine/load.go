package engine

import (
	"sort"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/rubric-dev/rubric/dsl"
	"github.com/rubric-dev/rubric/engine/internal/fsutil"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// Policy is a loaded, checked and compiled policy. It is immutable and
// safe for concurrent use.
type Policy struct {
	Path  string
	Rules *rules.Policy

	evaluators sync.Map // evaluator.Options → *evaluator.Evaluator, made once
}

// evaluator returns the policy's evaluator for opts, made on first use:
// an evaluator is immutable and safe for concurrent use, so a service
// answering many small requests prepares it once.
func (p *Policy) evaluator(opts evaluator.Options) *evaluator.Evaluator {
	if ev, ok := p.evaluators.Load(opts); ok {
		return ev.(*evaluator.Evaluator)
	}
	ev, _ := p.evaluators.LoadOrStore(opts, evaluator.New(p.Rules, opts))
	return ev.(*evaluator.Evaluator)
}

// compilers are shared by every load in the process, with their program
// caches: validating, testing or diffing many policies (or two versions of
// one) compiles each distinct expression once.
var compilers = sync.OnceValue(func() []rules.Compiler {
	return []rules.Compiler{evaluator.NewCEL(), evaluator.NewExpr()}
})

// Compilers returns the expression compilers rubric supports (shared, safe
// for concurrent use).
func Compilers() []rules.Compiler { return compilers() }

// CompileCacheStats sums the program-cache statistics of the shared
// compilers.
func CompileCacheStats() evaluator.CacheStats {
	var s evaluator.CacheStats
	for _, c := range compilers() {
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
func Load(path string) (*Policy, hcl.Diagnostics, error) {
	srcs, err := dsl.ReadSources(path)
	if err != nil {
		return nil, nil, err
	}
	p, diags := LoadSources(path, srcs)
	return p, diags, nil
}

// LoadSources is Load for policy files already in memory.
func LoadSources(path string, srcs []dsl.Source) (*Policy, hcl.Diagnostics) {
	ast, diags := dsl.Parse(srcs)
	rp, rdiags := rules.Resolve(ast, Compilers()...)
	diags = append(diags, rdiags...)
	SortDiagnostics(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	return &Policy{Path: path, Rules: rp}, diags
}

// SortDiagnostics orders diagnostics by file, line and column, keeping the
// order of those at the same place.
func SortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a != nil && b == nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
}

// PolicyRef identifies a policy text: what outcomes and reports name.
type PolicyRef struct {
	Path    string `json:"path"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// Ref identifies p.
func (p *Policy) Ref() PolicyRef {
	return PolicyRef{Path: p.Path, Name: p.Rules.Name, Version: p.Rules.Version, Digest: p.Rules.Digest}
}

// RemoveTemporaries removes every temporary file and directory the engine
// still holds (a half-written output, a spooled input, an export being
// written): what the command line calls when it is interrupted.
func RemoveTemporaries() { fsutil.RemoveAll() }
