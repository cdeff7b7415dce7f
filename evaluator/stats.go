package evaluator

import (
	"strings"

	"github.com/rubric-dev/rubric/rules"
)

// Stats holds team.* and all.* statistics: per team and period, and per
// period, the count of snapshots and, per metric, the count, sum, min and
// max of the values present. Build it in a first pass with Add (after
// Derive), then pass it to Evaluate. Its memory grows with the number of
// teams and periods, not snapshots.
type Stats struct {
	metrics []*rules.Metric
	team    map[[2]string]*agg
	all     map[string]*agg
	fills   []statFill // the statistics expressions use, with their slots
	minTeam int
	// What Add keeps: the metrics fills read (index in metrics, and
	// slot), and whether any fill reads a team's or all.
	used          []usedMetric
	byTeam, byAll bool
}

type usedMetric struct{ i, slot int }

// statKind is which statistic a team.* or all.* name is.
type statKind uint8

const (
	statCount statKind = iota
	statAvg
	statSum
	statMin
	statMax
)

var statKinds = map[string]statKind{"avg": statAvg, "sum": statSum, "min": statMin, "max": statMax}

// statFill is one team.* or all.* name an expression uses.
type statFill struct {
	slot   int
	all    bool
	stat   statKind
	metric int
}

type agg struct {
	count int
	n     []int
	sum   []float64
	min   []float64
	max   []float64
}

// NewStats returns empty statistics for p.
func NewStats(p *rules.Policy) *Stats {
	s := &Stats{metrics: p.Metrics, team: map[[2]string]*agg{}, all: map[string]*agg{}, minTeam: p.MinTeam}
	index := map[string]int{}
	for i, m := range p.Metrics {
		index[m.Name] = i
	}
	for _, d := range p.Scope.Decls {
		if d.Kind != rules.DeclTeam || d.Slot < 0 {
			continue
		}
		parts := strings.SplitN(d.Name, ".", 3) // team.avg.aht, team.count
		f := statFill{slot: d.Slot, all: parts[0] == "all"}
		if parts[1] == "count" {
			f.stat = statCount
		} else {
			f.stat = statKinds[parts[1]]
			f.metric = index[parts[2]]
		}
		s.fills = append(s.fills, f)
		s.byTeam = s.byTeam || !f.all
		s.byAll = s.byAll || f.all
	}
	used := make([]bool, len(s.metrics))
	for _, f := range s.fills {
		used[f.metric] = used[f.metric] || f.stat != statCount
	}
	for i, m := range s.metrics {
		if used[i] {
			s.used = append(s.used, usedMetric{i: i, slot: m.Decl.Slot})
		}
	}
	return s
}

// Metrics returns the metrics whose statistics the policy uses (a
// team.count uses none), in declaration order. Only their values need to
// be in the snapshots given to Add.
func (s *Stats) Metrics() []*rules.Metric {
	out := make([]*rules.Metric, len(s.used))
	for k, u := range s.used {
		out[k] = s.metrics[u.i]
	}
	return out
}

// groupOf is the group of key in m, made empty for k metrics when new.
func groupOf[K comparable](m map[K]*agg, key K, k int) *agg {
	a := m[key]
	if a == nil {
		a = &agg{n: make([]int, k), sum: make([]float64, k), min: make([]float64, k), max: make([]float64, k)}
		m[key] = a
	}
	return a
}

// Add counts a derived snapshot. It keeps only what the policy's
// statistics read: the groups and metrics they name.
func (s *Stats) Add(snap *Snapshot) {
	groups := make([]*agg, 0, 2)
	if snap.HasTeam && s.byTeam {
		groups = append(groups, groupOf(s.team, [2]string{snap.Team, snap.Period.Label}, len(s.metrics)))
	}
	if s.byAll {
		groups = append(groups, groupOf(s.all, snap.Period.Label, len(s.metrics)))
	}
	for _, g := range groups {
		g.count++
		for _, u := range s.used {
			i, v := u.i, snap.Values[u.slot]
			if !v.Has() {
				continue
			}
			if g.n[i] == 0 || v.Num < g.min[i] {
				g.min[i] = v.Num
			}
			if g.n[i] == 0 || v.Num > g.max[i] {
				g.max[i] = v.Num
			}
			g.n[i]++
			g.sum[i] += v.Num
		}
	}
}

// fill writes the statistics of snap's team and period into its slots.
func (s *Stats) fill(snap *Snapshot) {
	var team, all *agg
	if snap.HasTeam {
		team = s.team[[2]string{snap.Team, snap.Period.Label}]
	}
	all = s.all[snap.Period.Label]
	for _, f := range s.fills {
		g := team
		if f.all {
			g = all
		}
		if g == nil {
			snap.Values[f.slot] = Value{}
			continue
		}
		if !f.all && g.count < s.minTeam {
			// Too few to compare with: a team of one is its own average.
			snap.Values[f.slot] = Value{}
			if snap.reasons == nil {
				snap.reasons = make([]*Reason, len(snap.Values))
			}
			snap.reasons[f.slot] = &Reason{Kind: ReasonMinTeam, Name: snap.Team, Period: snap.Period.Label, Num: float64(g.count), Limit: float64(s.minTeam)}
			continue
		}
		if f.stat == statCount {
			snap.Values[f.slot] = Num(float64(g.count))
			continue
		}
		i := f.metric
		if g.n[i] == 0 {
			snap.Values[f.slot] = Value{}
			continue
		}
		var v float64
		switch f.stat {
		case statAvg:
			v = g.sum[i] / float64(g.n[i])
		case statSum:
			v = g.sum[i]
		case statMin:
			v = g.min[i]
		case statMax:
			v = g.max[i]
		}
		snap.Values[f.slot] = Num(v)
	}
}
