package evaluator

import "github.com/rubric-dev/rubric/rules"

// need is the set of rules an evaluation must compute. With
// Options.IncentivesOnly it is what the incentives depend on, directly or
// through scores, bands, breaches and targets; otherwise everything.
type need struct {
	targets, scores, breaches []bool // by rule index
	stats                     bool   // some needed expression uses team.* or all.*
}

func everything(p *rules.Policy) need {
	n := need{targets: make([]bool, len(p.Targets)), scores: make([]bool, len(p.Scorecards)), breaches: make([]bool, len(p.Breaches))}
	for i := range n.targets {
		n.targets[i] = true
	}
	for i := range n.scores {
		n.scores[i] = true
	}
	for i := range n.breaches {
		n.breaches[i] = true
	}
	n.stats = p.UsesTeam || p.UsesAll
	return n
}

// incentiveNeeds walks from the incentives' expressions to every rule whose
// result they can read.
func incentiveNeeds(p *rules.Policy) need {
	n := need{targets: make([]bool, len(p.Targets)), scores: make([]bool, len(p.Scorecards)), breaches: make([]bool, len(p.Breaches))}
	tIndex, sIndex, bIndex := map[string]int{}, map[string]int{}, map[string]int{}
	for i, t := range p.Targets {
		tIndex[t.Name] = i
	}
	for i, s := range p.Scorecards {
		sIndex[s.Name] = i
	}
	for i, b := range p.Breaches {
		bIndex[b.Name] = i
	}
	var work []*rules.Decl
	addExpr := func(x *rules.Expression) {
		if x != nil {
			work = append(work, x.Refs...)
		}
	}
	addOp := func(o rules.Operand) { addExpr(o.Expr) }
	needTarget := func(i int) {
		if n.targets[i] {
			return
		}
		n.targets[i] = true
		t := p.Targets[i]
		addExpr(t.Value)
		addExpr(t.When)
		addOp(t.Goal)
		addOp(t.Threshold)
		addOp(t.Stretch)
		addOp(t.Cap)
	}
	needBreach := func(i int) {
		if n.breaches[i] {
			return
		}
		n.breaches[i] = true
		addExpr(p.Breaches[i].When)
	}
	for _, in := range p.Incentives {
		for _, g := range in.Gates {
			addExpr(g.When)
		}
		for _, t := range in.Tiers {
			addExpr(t.When)
			addOp(t.Multiplier)
		}
		for _, o := range []rules.Operand{in.Basis, in.Units, in.Amount, in.Prorate, in.Cap, in.Floor} {
			addOp(o)
		}
	}
	for len(work) > 0 {
		d := work[len(work)-1]
		work = work[:len(work)-1]
		switch d.Kind {
		case rules.DeclTeam:
			n.stats = true
		// Metrics, attributes, params and period.* are always there: derived
		// metrics are computed for every snapshot, and by stage order they
		// cannot use team.* or any result.
		case rules.DeclTarget:
			needTarget(tIndex[d.Owner])
		case rules.DeclScore, rules.DeclBand:
			i := sIndex[d.Owner]
			if !n.scores[i] {
				n.scores[i] = true
				for _, w := range p.Scorecards[i].Weights {
					needTarget(tIndex[w.Target.Name])
				}
			}
		case rules.DeclBreach:
			needBreach(bIndex[d.Owner])
		case rules.DeclBreaches:
			// A count reads every breach rule and every target with a
			// threshold.
			for i := range p.Breaches {
				needBreach(i)
			}
			for i, t := range p.Targets {
				if t.Threshold.Set {
					needTarget(i)
				}
			}
		}
	}
	return n
}
