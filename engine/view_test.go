package engine

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rubric-dev/rubric/engine/internal/encode"
	"github.com/rubric-dev/rubric/engine/internal/textenc"
	"github.com/rubric-dev/rubric/evaluator"
	"github.com/rubric-dev/rubric/rules"
)

// The typed view of one outcome (docs/language.md, "Outcomes"): what the
// hand-written encoder must write, as encoding/json reads it. A field that
// may be null is a pointer or any.
type outcomeView struct {
	Subject    string                   `json:"subject"`
	Period     string                   `json:"period"`
	Team       *string                  `json:"team"`
	Policy     policyView               `json:"policy"`
	Values     map[string]any           `json:"values"`
	Defaulted  []string                 `json:"defaulted"`
	Window     []string                 `json:"window,omitempty"`
	Targets    map[string]targetView    `json:"targets"`
	Scores     map[string]scoreView     `json:"scores"`
	Breaches   map[string]breachView    `json:"breaches"`
	Incentives map[string]incentiveView `json:"incentives"`
}

type policyView struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

type targetView struct {
	Status     string `json:"status"`
	Value      any    `json:"value"`
	Goal       any    `json:"goal"`
	Threshold  any    `json:"threshold"`
	Stretch    any    `json:"stretch"`
	Attainment any    `json:"attainment"`
	Why        string `json:"why"`
}

type scoreView struct {
	Status        string             `json:"status"`
	Value         any                `json:"value"`
	Band          any                `json:"band"`
	Coverage      *float64           `json:"coverage"`
	Contributions map[string]float64 `json:"contributions"`
	Why           string             `json:"why"`
}

type breachView struct {
	Status   string `json:"status"`
	Severity string `json:"severity"`
	Message  string `json:"message,omitempty"`
	Why      string `json:"why"`
}

type incentiveView struct {
	Status   string     `json:"status"`
	Amount   *string    `json:"amount"`
	Currency string     `json:"currency"`
	Tier     *string    `json:"tier"`
	Code     *string    `json:"code"`
	Gate     string     `json:"gate,omitempty"`
	Steps    []stepView `json:"steps"`
	Why      string     `json:"why"`
}

type stepView struct {
	Step       string         `json:"step"`
	Name       string         `json:"name,omitempty"`
	Expr       string         `json:"expr,omitempty"`
	Inputs     map[string]any `json:"inputs,omitempty"`
	Multiplier string         `json:"multiplier,omitempty"`
	Limit      string         `json:"limit,omitempty"`
	Mode       string         `json:"mode,omitempty"`
	Note       string         `json:"note,omitempty"`
	Result     string         `json:"result,omitempty"`
}

func valueView(v evaluator.Value) any {
	switch v.Kind {
	case evaluator.Number:
		return v.Num
	case evaluator.String:
		return v.Str
	case evaluator.Bool:
		return v.Bool
	}
	return nil
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// viewOf builds the typed view straight from the outcome, without the
// encoder.
func viewOf(p *rules.Policy, o *evaluator.Outcome) outcomeView {
	s := o.Snapshot
	v := outcomeView{
		Subject: s.Subject, Period: s.Period.Label,
		Policy:     policyView{p.Name, p.Version, p.Digest},
		Values:     map[string]any{},
		Defaulted:  append([]string{}, o.Defaulted...),
		Window:     o.Window,
		Targets:    map[string]targetView{},
		Scores:     map[string]scoreView{},
		Breaches:   map[string]breachView{},
		Incentives: map[string]incentiveView{},
	}
	if s.HasTeam {
		v.Team = &s.Team
	}
	for _, m := range p.Metrics {
		v.Values[m.Name] = valueView(s.Values[m.Decl.Slot])
	}
	for _, a := range p.Attributes {
		v.Values[a.Name] = valueView(s.Values[a.Decl.Slot])
	}
	for _, t := range o.Targets {
		v.Targets[t.Target.Name] = targetView{t.Status.String(), valueView(t.Value), valueView(t.Goal), valueView(t.Threshold), valueView(t.Stretch), valueView(t.Attainment), t.Why()}
	}
	for _, sc := range o.Scores {
		sv := scoreView{Status: sc.Status.String(), Value: valueView(sc.Value), Band: valueView(sc.Band), Contributions: map[string]float64{}, Why: sc.Why()}
		if sc.CoverageSet {
			c := sc.Coverage
			sv.Coverage = &c
		}
		for _, c := range sc.Contributions {
			sv.Contributions[c.Target] = c.Value
		}
		v.Scores[sc.Scorecard.Name] = sv
	}
	for _, b := range o.Breaches {
		v.Breaches[b.Breach.Name] = breachView{b.Status.String(), b.Breach.Severity.String(), b.Message, b.Why()}
	}
	for _, in := range o.Incentives {
		iv := incentiveView{Status: in.Status.String(), Currency: p.Currency, Tier: strPtr(in.Tier), Code: strPtr(in.Incentive.Code), Gate: in.Gate, Steps: []stepView{}, Why: in.Why()}
		if in.Amount != nil {
			a := in.Amount.Text('f')
			iv.Amount = &a
		}
		for _, st := range in.Steps {
			sv := stepView{Step: st.Step, Name: st.Name, Expr: st.Expr, Multiplier: st.Multiplier, Limit: st.Limit, Mode: st.Mode, Note: st.Note(), Result: st.Result}
			if st.Expr != "" {
				sv.Inputs = map[string]any{}
				for _, x := range st.Inputs {
					sv.Inputs[x.Name] = valueView(x.Value)
				}
			}
			iv.Steps = append(iv.Steps, sv)
		}
		v.Incentives[in.Incentive.Name] = iv
	}
	return v
}

// TestEncoderMatchesTypedView: for every outcome of every example (and the
// history fixture), the hand-written JSON decodes — with no unknown field —
// into exactly the typed view built from the outcome.
func TestEncoderMatchesTypedView(t *testing.T) {
	inputs := map[string]string{}
	for _, name := range examples(t) {
		inputs[name] = filepath.Join("../fixtures", name, "snapshots.csv")
	}
	inputs["it-helpdesk history"] = filepath.Join("../fixtures", "it-helpdesk", "history.csv")
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			p := mustLoad(t, filepath.Join("../policies", strings.Fields(name)[0]))
			var mu sync.Mutex
			n := 0
			_, err := p.Stream(Input{Name: input}, StreamOptions{Explain: true}, func(o *evaluator.Outcome, buf []byte) []byte {
				w := textenc.JSON{B: buf[:0]}
				encode.Outcome(&w, p.Rules(), o, true)
				want := viewOf(p.Rules(), o)
				var got outcomeView
				dec := json.NewDecoder(bytes.NewReader(w.B))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&got); err != nil {
					t.Errorf("%s %s: %v\n%s", o.Snapshot.Subject, o.Snapshot.Period.Label, err, w.B)
				} else if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%s %s (-view +encoded):\n%s", o.Snapshot.Subject, o.Snapshot.Period.Label, d)
				}
				mu.Lock()
				n++
				mu.Unlock()
				return nil
			}, func([]byte) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if n < 10 {
				t.Fatalf("only %d outcomes", n)
			}
		})
	}
}
