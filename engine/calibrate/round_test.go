package calibrate

import (
	"testing"

	"github.com/rubric-dev/rubric/rules"
)

// TestRoundGoal: a suggested goal is written as its metric is shown.
func TestRoundGoal(t *testing.T) {
	for _, tt := range []struct {
		g    float64
		d    rules.Display
		want float64
	}{
		{1021.4000000000001, rules.Display{Decimals: -1}, 1021.4},
		{0.036743654121698895, rules.Display{Decimals: -1}, 0.0367},
		{0.6832, rules.Display{Format: rules.FormatPercent, Decimals: -1}, 0.683},
		{0.6832, rules.Display{Format: rules.FormatPercent, Decimals: 0}, 0.68},
		{313.6, rules.Display{Format: rules.FormatDuration, Decimals: -1}, 314},
		{12.345, rules.Display{Format: rules.FormatMoney, Decimals: -1}, 12.35},
		{4.56789, rules.Display{Format: rules.FormatNumber, Decimals: 1}, 4.6},
	} {
		if got := roundGoal(tt.g, tt.d, 2); got != tt.want {
			t.Errorf("roundGoal(%v, %+v) = %v, want %v", tt.g, tt.d, got, tt.want)
		}
	}
}
