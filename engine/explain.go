package engine

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rubric-dev/rubric/engine/internal/explain"
	"github.com/rubric-dev/rubric/evaluator"
)

// ErrNotFound is returned by Explain when no snapshot matches.
type ErrNotFound struct{ Msg string }

func (e *ErrNotFound) Error() string { return e.Msg }

// Explain evaluates in and writes a manager's report of one subject's
// outcome. With period "", a subject with one snapshot is explained; with
// several, the latest, and the report lists the others. With history, the
// report ends with the subject's window, period by period.
func (p *Policy) Explain(in Input, subject, period string, w io.Writer, opts StreamOptions) (*StreamResult, error) {
	return p.explain(in, subject, period, false, w, opts)
}

// ExplainAll is Explain for every period of the subject (the selected
// ones), oldest first.
func (p *Policy) ExplainAll(in Input, subject string, w io.Writer, opts StreamOptions) (*StreamResult, error) {
	return p.explain(in, subject, "", true, w, opts)
}

func (p *Policy) explain(in Input, subject, period string, all bool, w io.Writer, opts StreamOptions) (*StreamResult, error) {
	var all_ []*evaluator.Outcome // the subject's, every period
	opts.Explain = true
	opts.EncodeAll = true
	sel, err := NewSelection(in.Periods, p.Rules().Period)
	if err != nil {
		return nil, err
	}
	var res *StreamResult
	for o, err := range p.Outcomes(in, opts, &res) {
		if err != nil {
			return nil, err
		}
		if o.Snapshot.Subject == subject {
			all_ = append(all_, o)
		}
	}
	if res.Failed() {
		return res, nil
	}
	sort.Slice(all_, func(i, j int) bool { return all_[i].Snapshot.Period.Index() < all_[j].Snapshot.Period.Index() })
	var candidates []*evaluator.Outcome // explainable: selected, not history only
	var labels []string
	for _, o := range all_ {
		if !o.Snapshot.HistoryOnly && sel.Has(o.Snapshot.Period) {
			candidates = append(candidates, o)
			labels = append(labels, o.Snapshot.Period.Label)
		}
	}
	var chosen *evaluator.Outcome
	switch {
	case len(candidates) == 0 && len(all_) > 0:
		// The subject is there, in other periods than the ones chosen.
		var have []string
		for _, o := range all_ {
			if !o.Snapshot.HistoryOnly {
				have = append(have, o.Snapshot.Period.Label)
			}
		}
		return res, &ErrNotFound{fmt.Sprintf("subject %q has no snapshot for period %s; it has %s", subject, strings.Join(in.Periods, ", "), strings.Join(have, ", "))}
	case len(candidates) == 0:
		return res, &ErrNotFound{fmt.Sprintf("no snapshot of subject %q in %s", subject, strings.Join(in.Files(), ", "))}
	case period != "":
		for _, o := range candidates {
			if o.Snapshot.Period.Label == period {
				chosen = o
			}
		}
		if chosen == nil {
			return res, &ErrNotFound{fmt.Sprintf("subject %q has no snapshot for period %s; it has %s", subject, period, strings.Join(labels, ", "))}
		}
	case all:
		for i, o := range candidates {
			if i > 0 {
				fmt.Fprintf(w, "\n%s\n\n", strings.Repeat("─", 72))
			}
			explain.Outcome(w, p.Rules(), o, opts.Lang)
			if p.Rules().History > 0 {
				explain.History(w, p.Rules(), o, all_, opts.Lang)
			}
		}
		return res, nil
	default:
		chosen = candidates[len(candidates)-1]
	}
	explain.Outcome(w, p.Rules(), chosen, opts.Lang)
	if p.Rules().History > 0 {
		explain.History(w, p.Rules(), chosen, all_, opts.Lang)
	}
	if period == "" && len(candidates) > 1 {
		fmt.Fprintf(w, "\nThis is the latest period of %s; the input also has %s (choose one with its label).\n", subject, strings.Join(labels[:len(labels)-1], ", "))
	}
	return res, nil
}
