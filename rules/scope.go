package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// Stage is a step of evaluation (SPEC §3). An expression may use the names
// of its own stage and of earlier ones.
type Stage int

const (
	StageInvalid Stage = iota
	StageDerived
	StageTargets
	StageScorecards
	StageBreaches
	StageIncentives
)

func (s Stage) String() string {
	return enumString(int(s), "derived metrics", "targets", "scorecards", "breaches", "incentives")
}

// DeclKind says what a declared name stands for.
type DeclKind int

const (
	DeclInvalid DeclKind = iota
	DeclMetric
	DeclAttribute
	DeclParam
	DeclPeriod
	DeclTeam // team.* and all.* statistics
	DeclTarget
	DeclScore
	DeclBand
	DeclBreach
	DeclBreaches
	DeclHistory // prev.*, window.*, streak.*: earlier periods of the subject
	DeclColumn  // a rollup's column, day or hour (its own scope)
)

// Decl is a name that expressions may use, such as "aht",
// "target.aht.status" or "team.avg.csat". Every Decl owns one slot of the
// per-snapshot value array.
type Decl struct {
	Name  string
	Type  Type
	Stage Stage
	Kind  DeclKind
	Slot  int
	Owner string // the rule or metric the name belongs to

	// History names (prev.*, window.*, streak.*): what they compute, and
	// the name of the current period they are computed from.
	Hist HistKind
	Of   *Decl
	// Status is, for prev.target.<t>.*, the status of target t: the
	// period before is unknown for t when t was no_data there.
	Status *Decl
}

// Scope is the table of every name a policy declares. It is built by
// Resolve and not changed afterwards (FingerprintHash computes its cache
// once, safely for concurrent callers).
type Scope struct {
	Decls  []*Decl
	byName map[string]*Decl
	slots  int
	fp     string // FingerprintHash, computed once (concurrent callers wait for it)
	fpOnce sync.Once
}

func newScope() *Scope { return &Scope{byName: map[string]*Decl{}} }

func (s *Scope) add(name string, t Type, st Stage, k DeclKind, owner string) *Decl {
	if d, ok := s.byName[name]; ok {
		return d
	}
	d := &Decl{Name: name, Type: t, Stage: st, Kind: k, Slot: -1, Owner: owner}
	if k != DeclTeam && k != DeclPeriod {
		// Team statistics (4 per metric, twice) and period.* get a slot
		// only when an expression uses them, so a snapshot's value array
		// stays small and nothing unused is computed.
		d.Slot = s.slots
		s.slots++
	}
	s.Decls = append(s.Decls, d)
	s.byName[name] = d
	return d
}

// use gives d a slot if it has none yet.
func (s *Scope) use(d *Decl) {
	if d.Slot < 0 {
		d.Slot = s.slots
		s.slots++
	}
}

// Lookup returns the declaration of a qualified name.
func (s *Scope) Lookup(name string) (*Decl, bool) {
	d, ok := s.byName[name]
	return d, ok
}

// Len is the number of slots a snapshot's value array needs. A Decl with
// Slot -1 is a team statistic or period.* name no expression uses.
func (s *Scope) Len() int { return s.slots }

// Fingerprint identifies the declared environment: names and types in slot
// order. Two policies with the same fingerprint compile an expression the
// same way.
func (s *Scope) Fingerprint() string {
	var b strings.Builder
	for _, d := range s.Decls {
		b.WriteString(d.Name)
		b.WriteByte(':')
		b.WriteString(d.Type.String())
		b.WriteByte(';')
	}
	return b.String()
}

// FingerprintHash is a short, fixed-size form of Fingerprint (SHA-256),
// computed once: compilers key their caches with it. Every name is declared
// before the first expression is compiled, so it does not change.
func (s *Scope) FingerprintHash() string {
	s.fpOnce.Do(func() {
		sum := sha256.Sum256([]byte(s.Fingerprint()))
		s.fp = hex.EncodeToString(sum[:])
	})
	return s.fp
}

// Resolve returns the declaration a dotted reference reads: the longest
// declared prefix of name (target.aht.status.x reads target.aht.status).
func (s *Scope) Resolve(name string) (*Decl, bool) {
	d, _ := s.resolveRef(name)
	return d, d != nil
}

// resolveRef finds the longest declared prefix of a dotted reference. It
// returns the declaration and how many dotted parts it covers.
func (s *Scope) resolveRef(name string) (*Decl, string) {
	for n := name; ; {
		if d, ok := s.byName[n]; ok {
			return d, n
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			return nil, ""
		}
		n = n[:i]
	}
}

// completions lists declared names that start with prefix + ".".
func (s *Scope) completions(prefix string) []string {
	var out []string
	for _, d := range s.Decls {
		if strings.HasPrefix(d.Name, prefix+".") {
			out = append(out, d.Name)
		}
	}
	return out
}

// names lists every declared name.
func (s *Scope) names() []string {
	names := make([]string, 0, len(s.Decls))
	for _, d := range s.Decls {
		names = append(names, d.Name)
	}
	return names
}

// DidYouMean appends "; did you mean "X"?" to d's summary when a
// candidate is close to given (HCL's didyoumean distance; two letters
// swapped count as one edit), and reports whether it did. Every name
// suggestion of rubric's diagnostics is made here, so they read alike.
func DidYouMean(d *hcl.Diagnostic, given string, candidates []string) bool {
	sug := nameSuggestion(given, candidates)
	if sug == "" {
		return false
	}
	suggest(d, sug)
	return true
}

// suggest appends the suggestion s to d's summary.
func suggest(d *hcl.Diagnostic, s string) { d.Summary += fmt.Sprintf("; did you mean %q?", s) }

// nameSuggestion returns the candidate closest to given within a small
// edit distance, or "" (as HCL's didyoumean).
func nameSuggestion(given string, candidates []string) string {
	best, bestDist := "", 5 // distances are doubled: a transposition costs 1, an edit 2
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := 2 * levenshtein.Distance(given, c, nil)
		if transposed(given, c) {
			d = 1 // "cast" for "csat": two letters swapped is the likeliest typo
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// transposed reports whether a and b differ by two adjacent characters
// swapped.
func transposed(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
}
