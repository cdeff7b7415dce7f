# The voice-agent scorecard of policies/voice-agents, written in Rego for a
# peer comparison: targets (status and attainment), the quality score and
# band, the QA breach and the monthly bonus tier. Missing values are absent
# keys; a rule that needs one is undefined (rubric's no_data).
package rubric.voice

import rego.v1

eps(b) := 1e-9 * max([1, abs(b)])

ratio(a, b) := a / b if b != 0

fcr := ratio(input.resolved_first, input.handled)

csat := ratio(input.satisfied, input.surveys)

aht_goal := 360 if input.tenure_days < 90

aht_goal := 300 if input.tenure_days >= 90

status(v, goal, threshold, stretch, lower) := "exceeded" if {
	lower
	v <= stretch + eps(stretch)
} else := "met" if {
	lower
	v <= goal + eps(goal)
} else := "breached" if {
	lower
	v > threshold + eps(threshold)
} else := "missed" if {
	lower
} else := "exceeded" if {
	v >= stretch - eps(stretch)
} else := "met" if {
	v >= goal - eps(goal)
} else := "breached" if {
	v < threshold - eps(threshold)
} else := "missed"

capped(a) := min([max([a, 0]), 1.5])

lower_attainment(v, g) := 1.5 if v <= 0

lower_attainment(v, g) := capped(g / v) if v > 0

targets["aht"] := {"status": status(input.aht, aht_goal, 420, 240, true), "attainment": lower_attainment(input.aht, aht_goal)} if input.handled >= 50

targets["fcr"] := {"status": status(fcr, 0.75, 0.6, 0.85, false), "attainment": capped(fcr / 0.75)} if input.handled >= 50

targets["csat"] := {"status": status(csat, 0.85, 0.7, 0.95, false), "attainment": capped(csat / 0.85)} if input.surveys >= 20

curve(x) := 0 if x <= 0.8

curve(x) := (x - 0.8) / 0.1 if {
	x > 0.8
	x <= 0.9
}

curve(x) := 1 + (x - 0.9) * 0.2 / 0.05 if {
	x > 0.9
	x <= 0.95
}

curve(x) := 1.2 if x > 0.95

targets["adherence"] := {"status": status(input.adherence, 0.9, 0.8, 100, false), "attainment": curve(input.adherence)}

weights := {"aht": 20, "fcr": 25, "csat": 35, "adherence": 20}

counted := sum([w | some t, w in weights; targets[t]])

contribution[t] := w * targets[t].attainment if some t, w in weights

score := sum([c | some c in contribution]) / counted if counted >= 50

band := "outstanding" if score >= 1.10
else := "strong" if score >= 1.00
else := "developing" if score >= 0.85
else := "below"

default qa_autofail := false

qa_autofail if object.get(input, "qa_autofails", 0) > 0

tier := "outstanding" if score >= 1.10
else := "met" if score >= 1.00
else := "partial" if score >= 0.90

default eligible := false

eligible if {
	input.tenure_days >= 90
	not qa_autofail
}

default score_value := null

score_value := score

default band_value := null

band_value := band if score_value != null

default tier_value := null

tier_value := tier if score_value != null

outcome := {
	"targets": targets,
	"score": score_value,
	"band": band_value,
	"qa_autofail": qa_autofail,
	"eligible": eligible,
	"tier": tier_value,
}
