package evaluator

import (
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
	return &Stats{metrics: p.Metrics, team: map[[2]string]*agg{}, all: map[string]*agg{}}
}

func (s *Stats) group(m map[[2]string]*agg, key [2]string) *agg {
	a := m[key]
	if a == nil {
		k := len(s.metrics)
		a = &agg{n: make([]int, k), sum: make([]float64, k), min: make([]float64, k), max: make([]float64, k)}
		m[key] = a
	}
	return a
}

// Add counts a derived snapshot.
func (s *Stats) Add(snap *Snapshot) {
	groups := []*agg{}
	if snap.HasTeam {
		groups = append(groups, s.group(s.team, [2]string{snap.Team, snap.Period.Label}))
	}
	a := s.all[snap.Period.Label]
	if a == nil {
		a = s.group(map[[2]string]*agg{}, [2]string{})
		s.all[snap.Period.Label] = a
	}
	groups = append(groups, a)
	for _, g := range groups {
		g.count++
		for i, m := range s.metrics {
			v := snap.Values[m.Decl.Slot]
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
func (s *Stats) fill(p *rules.Policy, snap *Snapshot) {
	write := func(root string, g *agg) {
		if d, ok := p.Scope.Lookup(root + ".count"); ok && g != nil {
			snap.Values[d.Slot] = Num(float64(g.count))
		}
		for i, m := range s.metrics {
			for _, stat := range [...]string{"avg", "sum", "min", "max"} {
				d, ok := p.Scope.Lookup(root + "." + stat + "." + m.Name)
				if !ok {
					continue
				}
				if g == nil || g.n[i] == 0 {
					snap.Values[d.Slot] = Value{}
					continue
				}
				var v float64
				switch stat {
				case "avg":
					v = g.sum[i] / float64(g.n[i])
				case "sum":
					v = g.sum[i]
				case "min":
					v = g.min[i]
				case "max":
					v = g.max[i]
				}
				snap.Values[d.Slot] = Num(v)
			}
		}
	}
	if p.UsesTeam {
		var g *agg
		if snap.HasTeam {
			g = s.team[[2]string{snap.Team, snap.Period.Label}]
		}
		write("team", g)
	}
	if p.UsesAll {
		write("all", s.all[snap.Period.Label])
	}
}
