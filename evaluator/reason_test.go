package evaluator

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rubric-dev/rubric/evaluator/lang"
	"github.com/rubric-dev/rubric/rules"
)

// TestReasonSentences: every kind of reason written in English as the
// evaluation wrote it when reasons were text (the JSON why keeps these
// bytes), and in Indonesian with no English word left and Indonesian
// number forms.
func TestReasonSentences(t *testing.T) {
	id, err := lang.Parse("id")
	if err != nil {
		t.Fatal(err)
	}
	noValue := &Reason{Kind: ReasonNoValue, Name: "resolved"}
	tests := []struct {
		r      *Reason
		en, id string
	}{
		{reasonMissing, "missing in the input", "tidak ada di input"},
		{reasonDivZero, "division by zero", "pembagian dengan nol"},
		{reasonInfinite, "division by zero (the result is infinite)", "pembagian dengan nol (hasilnya tak terhingga)"},
		{reasonNaN, "the result is not a number (0/0?)", "hasilnya bukan angka (0/0?)"},
		{reasonNotCompiled, "the expression was not compiled", "ekspresinya belum dikompilasi"},
		{reasonNoDecimal, "the expression was not compiled for decimal evaluation", "ekspresinya belum dikompilasi untuk perhitungan desimal"},
		{&Reason{Kind: ReasonFailed, Text: "no such key: x"}, "evaluation failed: no such key: x", "perhitungan gagal: no such key: x"},
		{&Reason{Kind: ReasonGave, Text: `"abc"`}, `gave "abc", not a number`, `menghasilkan "abc", bukan angka`},
		{&Reason{Kind: ReasonGaveBool, Text: "2.5"}, "gave 2.5, not true or false", "menghasilkan 2,5, bukan benar atau salah"},
		{noValue, "resolved has no value", "resolved tidak bernilai"},
		{&Reason{Kind: ReasonNoValue, Name: "fcr", Cause: reasonMissing}, "fcr has no value (missing in the input)", "fcr tidak bernilai (tidak ada di input)"},
		{&Reason{Kind: ReasonTarget, Name: "aht", Text: "no_data"}, "target aht is no_data", "target aht tidak ada datanya"},
		{&Reason{Kind: ReasonTarget, Name: "aht", Text: "no_data", Cause: noValue}, "target aht is no_data: resolved has no value", "target aht tidak ada datanya: resolved tidak bernilai"},
		{&Reason{Kind: ReasonTarget, Name: "aht", Text: "not_applicable"}, "target aht is not_applicable", "target aht berstatus tidak berlaku"},
		{&Reason{Kind: ReasonBreach, Name: "late", Text: "no_data"}, "breach late is no_data", "pelanggaran late tidak ada datanya"},
		{&Reason{Kind: ReasonBreach, Name: "late", Cause: reasonDivZero}, "breach late is no_data: division by zero", "pelanggaran late tidak ada datanya: pembagian dengan nol"},
		{&Reason{Kind: ReasonScore, Name: "service", Text: "no_data"}, "score service is no_data", "skor service tidak ada datanya"},
		{&Reason{Kind: ReasonScore, Name: "service", Text: "not_applicable"}, "score service is not_applicable", "skor service berstatus tidak berlaku"},
		{&Reason{Kind: ReasonWhen, Text: "calls > 0", Cause: noValue}, "when calls > 0: resolved has no value", "jika calls > 0: resolved tidak bernilai"},
		{&Reason{Kind: ReasonOperand, Text: "goal", Cause: noValue}, "goal: resolved has no value", "target: resolved tidak bernilai"},
		{&Reason{Kind: ReasonOperand, Text: "stretch", Cause: noValue}, "stretch: resolved has no value", "target lanjutan: resolved tidak bernilai"},
		{&Reason{Kind: ReasonSample, Cause: &Reason{Kind: ReasonNoValue, Name: "surveys"}}, "the sample surveys has no value", "sampel surveys tidak bernilai"},
		{&Reason{Kind: ReasonSampleBelow, Name: "surveys", Num: 12, Limit: 30}, "the sample surveys 12 is below the minimum sample 30", "sampel surveys 12 di bawah sampel minimum 30"},
		{&Reason{Kind: ReasonSampleBelow, Name: "surveys", Num: 1234.5, Limit: 2000}, "the sample surveys 1234.5 is below the minimum sample 2000", "sampel surveys 1.234,5 di bawah sampel minimum 2.000"},
		{&Reason{Kind: ReasonGoalNotPositive, Num: -0.5}, "the goal -0.5 is not positive, so a ratio cannot be scored", "target -0,5 tidak positif, jadi rasio tidak bisa dinilai"},
		{&Reason{Kind: ReasonMinTeam, Name: "T1", Period: "2026-10", Num: 1, Limit: 3}, "team T1 has 1 snapshot(s) in 2026-10; the policy needs at least 3 (min_team)", "tim T1 hanya punya 1 data pada 2026-10; kebijakan butuh minimal 3 (min_team)"},
		{&Reason{Kind: ReasonTooLarge, Text: "1000000000000000.5"}, "the result 1000000000000000.5 is beyond what an amount can hold (1e15)", "hasil 1.000.000.000.000.000,5 melebihi batas sebuah jumlah (1e15)"},
		{&Reason{Kind: ReasonAmountTooLarge, Text: "2000000000000000"}, "the amount 2000000000000000 is beyond what a payroll line can hold (1e15)", "jumlah 2.000.000.000.000.000 melebihi batas satu baris pembayaran (1e15)"},
		{&Reason{Kind: ReasonRejected, Period: "2026-09"}, "the snapshot of 2026-09 was rejected as bad input", "data 2026-09 ditolak karena inputnya salah"},
		{&Reason{Kind: ReasonNoPrevious, Period: "2026-10"}, "no snapshot for the period before 2026-10", "tidak ada data untuk periode sebelum 2026-10"},
		{&Reason{Kind: ReasonWasNoData, Name: "ftr", Period: "2016-05"}, "ftr was no_data in 2016-05", "ftr tidak ada datanya pada 2016-05"},
		{&Reason{Kind: ReasonWasNoData, Name: "ftr", Period: "2016-05", Cause: noValue}, "ftr was no_data in 2016-05: resolved has no value", "ftr tidak ada datanya pada 2016-05: resolved tidak bernilai"},
		{&Reason{Kind: ReasonNoValueIn, Name: "aht", Period: "2026-09"}, "aht had no value in 2026-09", "aht tidak bernilai pada 2026-09"},
		{&Reason{Kind: ReasonNoResultIn, Name: "breach.late", Period: "2026-09"}, "breach.late had no result in 2026-09", "breach.late tidak ada hasilnya pada 2026-09"},
		{&Reason{Kind: ReasonWindowEmpty, Name: "aht"}, "no period of the window has a value for aht", "tidak ada periode dalam jendela yang punya nilai aht"},
		{&Reason{Kind: ReasonIn, Period: "2026-09"}, "in 2026-09", "pada 2026-09"},
		{&Reason{Kind: ReasonOver, Periods: []string{"2026-08", "2026-09"}}, "over 2026-08, 2026-09", "atas 2026-08, 2026-09"},
		{&Reason{Kind: ReasonCount, Hist: rules.HistWindowMet}, "not met in the window", "tidak pernah tercapai dalam jendela"},
		{&Reason{Kind: ReasonCount, Hist: rules.HistWindowFired, Periods: []string{"2026-09"}}, "fired in 2026-09", "terpicu pada 2026-09"},
		{&Reason{Kind: ReasonCount, Hist: rules.HistWindowMet, Periods: []string{"2016-04", "2016-05", "2016-06"}}, "met in 2016-04, 2016-05 and 2016-06", "tercapai pada 2016-04, 2016-05 dan 2016-06"},
		{&Reason{Kind: ReasonCount, Hist: rules.HistStreakMissed, Periods: []string{"2016-05", "2016-06"}}, "missed in 2016-05 and 2016-06: 2 period(s) in a row", "tidak tercapai pada 2016-05 dan 2016-06: 2 periode berturut-turut"},
	}
	kinds := map[ReasonKind]bool{}
	for _, tt := range tests {
		kinds[tt.r.Kind] = true
		if got := tt.r.String(); got != tt.en {
			t.Errorf("English:\n got %q\nwant %q", got, tt.en)
		}
		if got := tt.r.In(id); got != tt.id {
			t.Errorf("Indonesian:\n got %q\nwant %q", got, tt.id)
		}
	}
	for k := ReasonText; k <= ReasonCount; k++ {
		if !kinds[k] {
			t.Errorf("reason kind %d has no case here", k)
		}
	}
	if got := (*Reason)(nil).String(); got != "" {
		t.Errorf("a nil reason says %q", got)
	}
}

// TestStepNotes: what a step says beyond its fields, in both languages.
func TestStepNotes(t *testing.T) {
	id, _ := lang.Parse("id")
	tests := []struct {
		st     Step
		en, id string
	}{
		{Step{Step: "tier", Multiplier: "0"}, "no tier matched", "tidak ada tingkat yang tercapai"},
		{Step{Step: "tier", Name: "gold", Multiplier: "1.5"}, "", ""},
		{Step{Step: "rate", Result: "0", Units: "4", FirstBand: "r1", From: "5"}, "4 units are below the first band (r1 from 5)", "4 unit di bawah tarif pertama (r1 mulai dari 5)"},
		{Step{Step: "rate", Name: "r2", Flat: true, Units: "1200", PerUnit: "2.5"}, "flat: all 1200 units at 2.5", "tetap: semua 1.200 unit dengan tarif 2,5"},
		{Step{Step: "rate", Name: "r2", Units: "10", PerUnit: "1.5"}, "10 units × 1.5", "10 unit × 1,5"},
		{Step{Step: "cap", Limit: "20"}, "", ""},
	}
	for _, tt := range tests {
		if got := tt.st.Note(); got != tt.en {
			t.Errorf("English: got %q, want %q", got, tt.en)
		}
		if got := tt.st.NoteIn(id); got != tt.id {
			t.Errorf("Indonesian: got %q, want %q", got, tt.id)
		}
	}
}

// TestDecimalReasonsTranslated: the decimal evaluator's reasons (fixed
// sentences, found in its source) are in the Indonesian catalogue.
func TestDecimalReasonsTranslated(t *testing.T) {
	src, err := os.ReadFile("decimal.go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range regexp.MustCompile(`(?:dval\{\}, |return |nil, )"([^"]+)"`).FindAllSubmatch(src, -1) {
		text := string(m[1])
		if strings.Contains(text, "%") {
			continue
		}
		n++
		if !lang.Has(text) {
			t.Errorf("decimal.go: %q has no Indonesian translation", text)
		}
	}
	if n < 10 {
		t.Errorf("found %d reasons; the search is broken", n)
	}
}
