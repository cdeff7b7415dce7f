package encode

import (
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/evaluator/lang"
)

// TestLegendTranslated: the table's legend has its Indonesian form, and
// English is the legend as written.
func TestLegendTranslated(t *testing.T) {
	if !lang.Has(TableLegend) {
		t.Fatal("the table legend has no Indonesian translation")
	}
	id, err := lang.Parse("id")
	if err != nil {
		t.Fatal(err)
	}
	if got := Legend(nil); got != TableLegend {
		t.Errorf("English legend = %q", got)
	}
	if got := Legend(id); !strings.Contains(got, "terlampaui") {
		t.Errorf("Indonesian legend = %q", got)
	}
}
