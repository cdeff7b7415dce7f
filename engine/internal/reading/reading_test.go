package reading

import (
	"slices"
	"testing"

	"github.com/rubric-dev/rubric/engine/internal/input"
)

// TestMergeByLine: duplicates found at the end of the input join the
// errors in line order, an earlier error first on the same line, and no
// more than max are kept.
func TestMergeByLine(t *testing.T) {
	e := func(line int, msg string) *input.Error { return &input.Error{Line: line, Msg: msg} }
	a := []*input.Error{e(2, "a2"), e(5, "a5"), e(9, "a9")}
	b := []*input.Error{e(1, "b1"), e(5, "b5"), e(7, "b7")}
	msgs := func(es []*input.Error) []string {
		var out []string
		for _, x := range es {
			out = append(out, x.Msg)
		}
		return out
	}
	if got, want := msgs(mergeByLine(a, b, 10)), []string{"b1", "a2", "a5", "b5", "b7", "a9"}; !slices.Equal(got, want) {
		t.Errorf("merged %v, want %v", got, want)
	}
	if got, want := msgs(mergeByLine(a, b, 3)), []string{"b1", "a2", "a5"}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
}

// TestTallyLeftOut: the teams and periods whose figures miss a rejected
// row, each once and sorted; the rejected periods per subject.
func TestTallyLeftOut(t *testing.T) {
	var tl Tally
	for _, e := range []*input.Error{
		{Subject: "B", Period: "2026-10", Team: "north"},
		{Subject: "A", Period: "2026-10"},
		{Subject: "C", Period: "2026-10", Team: "north"},
		{Period: "2026-11"}, // no subject: not a period of anyone's window
	} {
		tl.noteLeftOut(e)
		tl.noteRejected(e)
	}
	if got, want := tl.LeftOut(), []string{"period 2026-10", "period 2026-11", "team north in 2026-10"}; !slices.Equal(got, want) {
		t.Errorf("left out %v, want %v", got, want)
	}
	if got := tl.RejectedPeriods(); len(got) != 3 || !slices.Equal(got["B"], []string{"2026-10"}) {
		t.Errorf("rejected periods %v", got)
	}
}
