// Command baseline is the voice-agent example policy (policies/voice-agents)
// written directly in Go: the yardstick rubric's performance is measured
// against. It reads the same CSV and writes the same payroll rows (payroll.csv
// of `rubric payroll`), with the same decimal money, but knows the policy by
// heart: no parsing, no expressions, no explanations.
//
//	go run ./bench/baseline -i snapshots.csv -o payroll.csv -policy policies/voice-agents
//
// It is deliberately a plain, single-threaded program, as one would write by
// hand. It does not compute the aht_vs_team target: nothing in the payroll
// depends on it.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
)

const version = "baseline"

var (
	ctx      = apd.BaseContext.WithPrecision(100)                                                                         // products of the operands here are exact
	quo34    = func() *apd.Context { c := apd.BaseContext.WithPrecision(34); c.Rounding = apd.RoundHalfEven; return c }() // quotients: 34 digits, half even
	cols     = []string{"handled", "aht", "resolved_first", "surveys", "satisfied", "adherence", "qa_autofails", "days_worked", "tenure_days", "base_pay"}
	minOf    = map[string]float64{"handled": 0, "aht": 0, "resolved_first": 0, "surveys": 0, "satisfied": 0, "adherence": 0, "qa_autofails": 0, "days_worked": 0}
	maxOf    = map[string]float64{"aht": 7200, "adherence": 1, "days_worked": 31}
	bandMins = []float64{1.10, 1.00, 0.85, 0}
)

type num struct {
	v  float64
	ok bool
}

func main() {
	in := flag.String("i", "", "snapshots CSV")
	out := flag.String("o", "payroll.csv", "payroll CSV to write")
	policyDir := flag.String("policy", "policies/voice-agents", "the policy directory (for its digest)")
	flag.Parse()
	if err := run(*in, *out, *policyDir); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func digest(dir string) (string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		if strings.HasSuffix(n, ".test.hcl") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(n), len(b))
		h.Write(b)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func shortHash(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

type row struct {
	key   string
	lines []byte
}

func run(inPath, outPath, policyDir string) error {
	dg, err := digest(policyDir)
	if err != nil {
		return err
	}
	f, err := os.Open(inPath)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	r := csv.NewReader(bufio.NewReaderSize(io.TeeReader(f, h), 1<<16))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return err
	}
	idx := map[string]int{}
	for i, c := range header {
		idx[c] = i
	}
	var rows []row
	seen := map[string]bool{}
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return err
		}
		subject, period := rec[idx["subject"]], rec[idx["period"]]
		if subject == "" || len(period) != 7 || period[4] != '-' {
			return fmt.Errorf("line %d: bad subject or period", line)
		}
		if seen[subject+"\x00"+period] {
			return fmt.Errorf("line %d: duplicate", line)
		}
		seen[subject+"\x00"+period] = true
		v := map[string]num{}
		for _, c := range cols {
			i, ok := idx[c]
			if !ok || rec[i] == "" {
				continue
			}
			x, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				return fmt.Errorf("line %d: %s is not a number", line, c)
			}
			if lo, ok := minOf[c]; ok && x < lo {
				return fmt.Errorf("line %d: %s below its minimum", line, c)
			}
			if hi, ok := maxOf[c]; ok && x > hi {
				return fmt.Errorf("line %d: %s above its maximum", line, c)
			}
			v[c] = num{x, true}
		}
		if !v["base_pay"].ok {
			return fmt.Errorf("line %d: base_pay is required", line)
		}
		if !v["qa_autofails"].ok {
			v["qa_autofails"] = num{0, true}
		}
		y, _ := strconv.Atoi(period[:4])
		m, _ := strconv.Atoi(period[5:])
		start := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(0, 1, -1)
		days := float64(end.Day())
		rows = append(rows, row{key: subject + "\x00" + period, lines: evaluate(subject, period, start.Format("2006-01-02"), end.Format("2006-01-02"), days, v, dg)})
	}
	runID := shortHash("rubric-run", dg, hex.EncodeToString(h.Sum(nil)), version)
	sort.Slice(rows, func(i, j int) bool { return rows[i].key < rows[j].key })
	o, err := os.Create(outPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(o, 1<<16)
	w.WriteString("line_id,run_id,subject,period,coverage_start,coverage_end,incentive,code,status,amount,currency,policy,policy_version,policy_digest,kind,paid_before\n")
	for _, rw := range rows {
		w.Write([]byte(strings.ReplaceAll(string(rw.lines), "RUNID", runID)))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return o.Close()
}

func ratio(a, b num) num {
	if !a.ok || !b.ok || b.v == 0 {
		return num{}
	}
	return num{a.v / b.v, true}
}

func eps(b float64) float64 { return 1e-9 * math.Max(1, math.Abs(b)) }

// target returns status and attainment of a ratio-scored target.
func target(value, goal num, threshold, stretch float64, lower bool, sampleOK bool, curve bool) (string, float64, bool) {
	if !value.ok || !goal.ok || !sampleOK {
		return "no_data", 0, false
	}
	better := func(x, b float64) bool {
		if lower {
			return x <= b+eps(b)
		}
		return x >= b-eps(b)
	}
	status := "missed"
	switch {
	case !math.IsNaN(stretch) && better(value.v, stretch):
		status = "exceeded"
	case better(value.v, goal.v):
		status = "met"
	case !better(value.v, threshold):
		status = "breached"
	}
	var a float64
	switch {
	case curve: // [[0.8, 0], [0.9, 1], [0.95, 1.2]]
		x := value.v
		switch {
		case x <= 0.8:
			a = 0
		case x <= 0.9:
			a = 0 + (x-0.8)*(1-0)/(0.9-0.8)
		case x <= 0.95:
			a = 1 + (x-0.9)*(1.2-1)/(0.95-0.9)
		default:
			a = 1.2
		}
		return status, a, true
	case lower && value.v <= 0:
		a = 1.5
	case lower:
		a = goal.v / value.v
	default:
		a = value.v / goal.v
	}
	return status, math.Min(math.Max(a, 0), 1.5), true
}

func dec(f float64) *apd.Decimal {
	d, _, _ := apd.NewFromString(strconv.FormatFloat(f, 'g', -1, 64))
	return d
}

func round(d *apd.Decimal, mode apd.Rounder) *apd.Decimal {
	c := *ctx
	c.Rounding = mode
	out := new(apd.Decimal)
	c.Quantize(out, d, -2)
	if out.IsZero() {
		out.Negative = false
	}
	return out
}

func evaluate(subject, period, start, end string, days float64, v map[string]num, dg string) []byte {
	handledOK := v["handled"].ok && v["handled"].v >= 50
	fcr := ratio(v["resolved_first"], v["handled"])
	csat := ratio(v["satisfied"], v["surveys"])
	goal := num{}
	if t := v["tenure_days"]; t.ok {
		goal = num{300, true}
		if t.v < 90 {
			goal = num{360, true}
		}
	}
	weights := []float64{20, 25, 35, 20}
	var atts [4]float64
	var oks [4]bool
	_, atts[0], oks[0] = target(v["aht"], goal, 420, 240, true, handledOK, false)
	_, atts[1], oks[1] = target(fcr, num{0.75, true}, 0.6, 0.85, false, handledOK, false)
	csatStatus, a2, ok2 := target(csat, num{0.85, true}, 0.7, 0.95, false, v["surveys"].ok && v["surveys"].v >= 20, false)
	atts[2], oks[2] = a2, ok2
	_, atts[3], oks[3] = target(v["adherence"], num{0.9, true}, 0.8, math.NaN(), false, true, true)
	var sw, swa float64
	for i := range weights {
		if oks[i] {
			sw += weights[i]
			swa += weights[i] * atts[i]
		}
	}
	score := num{}
	if sw >= 50-1e-9 && sw > 0 {
		score = num{swa / sw, true}
	}
	_ = bandMins

	var b strings.Builder
	emit := func(incentive, code, status string, amount *apd.Decimal) {
		a := ""
		if amount != nil {
			a = amount.Text('f')
		}
		fmt.Fprintf(&b, "%s,RUNID,%s,%s,%s,%s,%s,%s,%s,%s,EUR,contact_center,2026.10.1,%s,original,\n",
			shortHash("rubric-line", "contact_center", subject, period, incentive), subject, period, start, end, incentive, code, status, a, dg)
	}
	zero := round(apd.New(0, 0), apd.RoundHalfEven)

	// monthly_bonus
	func() {
		t := v["tenure_days"]
		if !t.ok {
			emit("monthly_bonus", "BON1", "no_data", nil)
			return
		}
		if t.v < 90 || v["qa_autofails"].v > 0 {
			emit("monthly_bonus", "BON1", "ineligible", zero)
			return
		}
		basis := new(apd.Decimal) // exact decimal: base_pay as written × 0.10
		ctx.Mul(basis, dec(v["base_pay"].v), apd.New(10, -2))
		if !score.ok {
			emit("monthly_bonus", "BON1", "no_data", nil)
			return
		}
		mult := apd.New(0, 0)
		switch {
		case score.v >= 1.10:
			mult = apd.New(15, -1)
		case score.v >= 1.00:
			mult = apd.New(10, -1)
		case score.v >= 0.90:
			mult = apd.New(5, -1)
		}
		gross := new(apd.Decimal)
		ctx.Mul(gross, basis, mult)
		dw := v["days_worked"]
		if !dw.ok {
			emit("monthly_bonus", "BON1", "no_data", nil)
			return
		}
		f := new(apd.Decimal) // days_worked / period.days to 34 digits, half even
		quo34.Quo(f, dec(dw.v), apd.New(int64(days), 0))
		if f.Cmp(apd.New(1, 0)) > 0 {
			f = apd.New(1, 0)
		}
		if f.Sign() < 0 {
			f = apd.New(0, 0)
		}
		x := new(apd.Decimal)
		ctx.Mul(x, gross, f)
		if x.Cmp(apd.New(900, 0)) > 0 {
			x = apd.New(900, 0)
		}
		if x.Sign() < 0 {
			x = apd.New(0, 0)
		}
		amt := round(x, apd.RoundHalfEven)
		st := "not_earned"
		if amt.Sign() > 0 {
			st = "earned"
		}
		emit("monthly_bonus", "BON1", st, amt)
	}()

	// csat_award
	switch csatStatus {
	case "no_data":
		emit("csat_award", "CSA1", "no_data", nil)
	case "met", "exceeded":
		award := new(apd.Decimal)
		ctx.Mul(award, dec(v["base_pay"].v), apd.New(125, -4))
		amt := round(award, apd.RoundHalfUp)
		st := "not_earned"
		if amt.Sign() > 0 {
			st = "earned"
		}
		emit("csat_award", "CSA1", st, amt)
	default:
		emit("csat_award", "CSA1", "ineligible", zero)
	}
	return []byte(b.String())
}
