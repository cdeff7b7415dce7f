package evaluator

import (
	"strings"

	"github.com/rubric-dev/rubric/rules"
)

func (r *run) breaches() {
	p := r.e.p
	r.out.Breaches = resize(r.out.Breaches, len(p.Breaches))
	for i, b := range p.Breaches {
		res := &r.out.Breaches[i]
		*res = BreachResult{Breach: b}
		if !r.e.need.breaches[i] {
			continue
		}
		res.explained = r.ruleWhy
		w, reason := r.eval(b.When)
		switch {
		case !w.Has():
			res.Status = BreachNoData
			if r.why {
				r.setReason(b.Decl.Slot, &Reason{Kind: ReasonBreach, Name: b.Name, Cause: reason})
			}
			res.Reason = reason
			continue
		case w.Bool:
			res.Status = Breached
			if len(b.Message) > 0 {
				res.Message = r.message(b.Message)
			}

		default:
			res.Status = Clear
		}
		r.vals[b.Decl.Slot] = Boolean(w.Bool)
		if r.ruleWhy {
			res.When = r.condition(b.When, w.Bool)
		}
	}
	r.breachCounts()
}

func (r *run) message(parts []rules.MessagePart) string { return message(parts, r.vals) }

// message writes a breach message's parts with the values they insert.
func message(parts []rules.MessagePart, vals []Value) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Decl == nil {
			b.WriteString(p.Text)
			continue
		}
		v := vals[p.Decl.Slot]
		switch v.Kind {
		case String:
			b.WriteString(v.Str)
		case None:
			b.WriteString("(no value)")
		default:
			b.WriteString(v.String())
		}
	}
	return b.String()
}

// noDataOf says that a target or breach rule is no_data, when explaining.
func (r *run) noDataOf(kind ReasonKind, name string) *Reason {
	if !r.why {
		return nil
	}
	return &Reason{Kind: kind, Name: name, Text: "no_data"}
}

// breachCounts sets breaches.minor/major/critical/any: breach rules that
// fired plus targets that are breached, per severity; no value while a
// breach rule or a target with a threshold at that severity is no_data.
func (r *run) breachCounts() {
	var count [4]int
	var unknown [4]*Reason
	var isUnknown [4]bool // a severity with a target or breach rule that is no_data
	note := func(sev rules.Severity, why *Reason) {
		if !isUnknown[sev] {
			isUnknown[sev], unknown[sev] = true, why
		}
	}
	for i := range r.out.Targets {
		tr := &r.out.Targets[i]
		t := tr.Target
		switch {
		case tr.Status == TargetBreached:
			count[t.Severity]++
		case tr.Status == TargetNoData && t.Threshold.Set:
			note(t.Severity, r.noDataOf(ReasonTarget, t.Name))
		}
	}
	for i := range r.out.Breaches {
		br := &r.out.Breaches[i]
		switch br.Status {
		case Breached:
			count[br.Breach.Severity]++
		case BreachNoData:
			note(br.Breach.Severity, r.noDataOf(ReasonBreach, br.Breach.Name))
		}
	}
	total, someUnknown := 0, false
	var anyUnknown *Reason
	for sev := rules.Minor; sev <= rules.Critical; sev++ {
		slot := r.e.counts[sev-1]
		total += count[sev]
		if isUnknown[sev] {
			r.setReason(slot, unknown[sev])
			if !someUnknown {
				someUnknown, anyUnknown = true, unknown[sev]
			}
			continue
		}
		r.vals[slot] = Num(float64(count[sev]))
	}
	if slot := r.e.counts[3]; someUnknown {
		r.setReason(slot, anyUnknown)
	} else {
		r.vals[slot] = Num(float64(total))
	}
}
