package rules

// MaxHistory is the most earlier periods a policy may look back on.
const MaxHistory = 24

// HistKind says what a history name computes (docs/language.md, History).
type HistKind int

const (
	HistNone         HistKind = iota
	HistPrev                  // prev.<name>: the value in the period just before
	HistSum                   // window.sum.<m>
	HistAvg                   // window.avg.<m>
	HistMin                   // window.min.<m>
	HistMax                   // window.max.<m>
	HistCount                 // window.count.<m>
	HistPeriods               // window.periods
	HistWindowMet             // window.target.<t>.met
	HistWindowMissed          // window.target.<t>.missed
	HistStreakMet             // streak.target.<t>.met
	HistStreakMissed          // streak.target.<t>.missed
	HistWindowFired           // window.breach.<b>
	HistStreakFired           // streak.breach.<b>
	HistExists                // prev.exists
)

// Window reports whether the name aggregates a metric over the window
// (this period included).
func (h HistKind) Window() bool { return h >= HistSum && h <= HistCount }

// declareHistory enters the history names of a policy with history = N.
// They get slots only when an expression uses them.
func (r *resolver) declareHistory() {
	s := r.scope
	hist := func(name string, t Type, st Stage, k HistKind, of *Decl) *Decl {
		d := s.add(name, t, st, DeclHistory, "history")
		d.Hist, d.Of = k, of
		d.Slot = -1
		s.slots-- // add gave it a slot; history names get one on use
		return d
	}
	for _, m := range r.p.Metrics {
		hist("prev."+m.Name, TypeNumber, StageDerived, HistPrev, m.Decl)
		for _, w := range []struct {
			stat string
			k    HistKind
		}{{"sum", HistSum}, {"avg", HistAvg}, {"min", HistMin}, {"max", HistMax}, {"count", HistCount}} {
			hist("window."+w.stat+"."+m.Name, TypeNumber, StageDerived, w.k, m.Decl)
		}
	}
	for _, a := range r.p.Attributes {
		hist("prev."+a.Name, a.Decl.Type, StageDerived, HistPrev, a.Decl)
	}
	hist("window.periods", TypeNumber, StageDerived, HistPeriods, nil)
	hist("prev.exists", TypeBool, StageDerived, HistExists, nil)
	for _, t := range r.p.Targets {
		for _, d := range []*Decl{t.Status, t.ValueDecl, t.Attainment, t.Met} {
			hist("prev."+d.Name, d.Type, StageTargets, HistPrev, d).Status = t.Status
		}
		hist("window.target."+t.Name+".met", TypeNumber, StageBreaches, HistWindowMet, t.Status)
		hist("window.target."+t.Name+".missed", TypeNumber, StageBreaches, HistWindowMissed, t.Status)
		hist("streak.target."+t.Name+".met", TypeNumber, StageBreaches, HistStreakMet, t.Status)
		hist("streak.target."+t.Name+".missed", TypeNumber, StageBreaches, HistStreakMissed, t.Status)
	}
	for _, sc := range r.p.Scorecards {
		hist("prev."+sc.Score.Name, TypeNumber, StageTargets, HistPrev, sc.Score)
		hist("prev."+sc.Band.Name, TypeString, StageTargets, HistPrev, sc.Band)
	}
	for _, b := range r.p.Breaches {
		hist("prev."+b.Decl.Name, TypeBool, StageTargets, HistPrev, b.Decl)
		hist("window."+b.Decl.Name, TypeNumber, StageIncentives, HistWindowFired, b.Decl)
		hist("streak."+b.Decl.Name, TypeNumber, StageIncentives, HistStreakFired, b.Decl)
	}
}
