package evaluator

import (
	"sync/atomic"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/rubric-dev/rubric/rules"
)

// programCache holds compiled programs by (language, declared-environment
// fingerprint, wanted type, source), so that checking many policies, or two
// versions of one (rubric diff), compiles each distinct expression once. A
// miss only costs a compilation: compiling is deterministic, so a cached and
// a fresh program give the same results.
type programCache struct {
	c            *ristretto.Cache[string, any]
	hits, misses atomic.Uint64
}

func newProgramCache(entries int64) *programCache {
	c, err := ristretto.NewCache(&ristretto.Config[string, any]{
		NumCounters:        entries * 10,
		MaxCost:            entries, // each entry costs 1
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		panic("rubric: program cache: " + err.Error()) // only for a bad constant config
	}
	return &programCache{c: c}
}

func (p *programCache) get(key string) (any, bool) {
	v, ok := p.c.Get(key)
	if ok {
		p.hits.Add(1)
	} else {
		p.misses.Add(1)
	}
	return v, ok
}

// set stores v. The cache takes it on a goroutine of its own: a get soon
// after may miss (and compile again); SettleCaches makes every set so far
// visible. Waiting at each set cost two hand-offs between goroutines per
// expression of a policy, a millisecond of a process's start.
func (p *programCache) set(key string, v any) {
	p.c.Set(key, v, 1)
}

// parseResult is what the cache keeps of a parse: the references or the
// errors, never the syntax tree (the CEL checker rewrites it in place).
type parseResult struct {
	refs []rules.Ref
	errs []rules.ExprError
}

// cachedParse returns a source's references from the cache, or parses it:
// then the parser's own result, which holds the syntax tree, is returned
// and only its references or errors are cached. fromRefs makes a Parsed
// without a tree, which Compile parses again if it must compile.
func cachedParse[P rules.Parsed](c *programCache, key string, parse func() (P, []rules.ExprError), fromRefs func([]rules.Ref) P) (rules.Parsed, []rules.ExprError) {
	if v, ok := c.get(key); ok {
		pr := v.(parseResult)
		if pr.errs != nil {
			return nil, pr.errs
		}
		return fromRefs(pr.refs), nil
	}
	p, errs := parse()
	if errs != nil {
		c.set(key, parseResult{errs: errs})
		return nil, errs
	}
	c.set(key, parseResult{refs: p.Refs()})
	return p, nil
}

// CacheStats reports how many compilations a compiler answered from its
// cache (hits) and how many it compiled (misses).
type CacheStats struct{ Hits, Misses uint64 }

// HitRate is hits / (hits + misses), or 0.
func (s CacheStats) HitRate() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// cacheOf is the program cache of a compiler made by NewCEL or NewExpr,
// or nil.
func cacheOf(c rules.Compiler) *programCache {
	switch x := c.(type) {
	case *celCompiler:
		return x.cache
	case *exprCompiler:
		return x.cache
	}
	return nil
}

// SettleCaches waits until what the compilers' caches were given is in
// them (engine calls it once a policy is loaded, so that the next policy,
// a reload or the other side of a diff, finds it).
func SettleCaches(cs ...rules.Compiler) {
	for _, c := range cs {
		if pc := cacheOf(c); pc != nil {
			pc.c.Wait()
		}
	}
}

// CloseCaches stops the goroutines of the compilers' caches and drops
// what they hold; the compilers must not be used afterwards.
func CloseCaches(cs ...rules.Compiler) {
	for _, c := range cs {
		if pc := cacheOf(c); pc != nil {
			pc.c.Close()
		}
	}
}

// CompilerCacheStats returns the cache statistics of a compiler made by
// NewCEL or NewExpr.
func CompilerCacheStats(c rules.Compiler) CacheStats {
	if pc := cacheOf(c); pc != nil {
		return CacheStats{pc.hits.Load(), pc.misses.Load()}
	}
	return CacheStats{}
}

// WarmUp does what the first compilation with each CEL compiler (made by
// NewCEL) of a process would otherwise do on the way: the Pratt parser is
// made, and the protobuf messages CEL's parsed trees pass through, its
// type checker and its planner are initialised. Other compilers are left
// alone. It compiles outside the compilers' caches and environments, so
// nothing it does shows in a policy's results or the caches' statistics;
// it is safe to run beside a load, on another core, which then finds it
// done.
func WarmUp(cs ...rules.Compiler) {
	for _, c := range cs {
		if cc, ok := c.(*celCompiler); ok {
			cc.warmUp()
		}
	}
}
