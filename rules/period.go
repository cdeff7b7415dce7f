package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period is a parsed period label: 2026-10-07 (day), 2026-W41 (ISO week),
// 2026-10 (month), 2026-Q4 (quarter), 2026-H2 (half year) or 2026 (year).
type Period struct {
	Label      string
	Kind       PeriodKind
	Start, End time.Time // inclusive, UTC midnight
	Days       int
	// The bounds as YYYY-MM-DD, formatted once by ParsePeriod: payroll
	// rows and period.start/period.end read them for every snapshot.
	startDate, endDate string
}

// StartDate and EndDate are the bounds as YYYY-MM-DD.
func (p Period) StartDate() string { return orDate(p.startDate, p.Start) }
func (p Period) EndDate() string   { return orDate(p.endDate, p.End) }

// orDate is s, or t as YYYY-MM-DD for a Period not made by ParsePeriod.
func orDate(s string, t time.Time) string {
	if s != "" {
		return s
	}
	return t.Format(time.DateOnly)
}

var (
	reDay     = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
	reWeek    = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)
	reMonth   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	reQuarter = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
	reYear    = regexp.MustCompile(`^(\d{4})$`)
	reHalf    = regexp.MustCompile(`^(\d{4})-H([12])$`)
)

// ParsePeriod parses a period label of any kind.
func ParsePeriod(label string) (Period, error) {
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	p := Period{Label: label}
	switch {
	case reDay.MatchString(label):
		t, err := time.Parse(time.DateOnly, label)
		if err != nil {
			return p, fmt.Errorf("period %q is not a valid date", label)
		}
		p.Kind, p.Start, p.End = Day, t, t
	case reWeek.MatchString(label):
		m := reWeek.FindStringSubmatch(label)
		y, w := atoi(m[1]), atoi(m[2])
		if w < 1 || w > isoWeeks(y) {
			return p, fmt.Errorf("period %q: %d has ISO weeks 01 to %02d", label, y, isoWeeks(y))
		}
		p.Kind = Week
		p.Start = isoWeek1(y).AddDate(0, 0, 7*(w-1))
		p.End = p.Start.AddDate(0, 0, 6)
	case reMonth.MatchString(label):
		m := reMonth.FindStringSubmatch(label)
		mo := atoi(m[2])
		if mo < 1 || mo > 12 {
			return p, fmt.Errorf("period %q: month must be 01 to 12", label)
		}
		p.Kind = Month
		p.Start = time.Date(atoi(m[1]), time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
		p.End = p.Start.AddDate(0, 1, -1)
	case reQuarter.MatchString(label):
		m := reQuarter.FindStringSubmatch(label)
		q := atoi(m[2])
		p.Kind = Quarter
		p.Start = time.Date(atoi(m[1]), time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
		p.End = p.Start.AddDate(0, 3, -1)
	case reHalf.MatchString(label):
		m := reHalf.FindStringSubmatch(label)
		h := atoi(m[2])
		p.Kind = Half
		p.Start = time.Date(atoi(m[1]), time.Month(6*(h-1)+1), 1, 0, 0, 0, 0, time.UTC)
		p.End = p.Start.AddDate(0, 6, -1)
	case reYear.MatchString(label):
		p.Kind = Year
		p.Start = time.Date(atoi(label), 1, 1, 0, 0, 0, 0, time.UTC)
		p.End = p.Start.AddDate(1, 0, -1)
	default:
		return p, fmt.Errorf("period %q is not a period label (YYYY-MM-DD, YYYY-Www, YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY)", label)
	}
	p.Days = int(p.End.Sub(p.Start).Hours()/24) + 1
	p.startDate, p.endDate = p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly)
	return p, nil
}

// Index numbers the periods of one kind consecutively: the period just
// before p has p.Index()-1 (before 2026-01 comes 2025-12; before 2026-W01,
// the last ISO week of 2025).
func (p Period) Index() int {
	days := int(p.Start.Unix() / 86400)
	y, m := p.Start.Year(), int(p.Start.Month())
	switch p.Kind {
	case Day:
		return days
	case Week:
		return (days + 3) / 7 // 1970-01-05 was a Monday
	case Month:
		return y*12 + m - 1
	case Quarter:
		return y*4 + (m-1)/3
	case Half:
		return y*2 + (m-1)/6
	}
	return y
}

// isoWeek1 returns the Monday of ISO week 1 of year y.
func isoWeek1(y int) time.Time {
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
	return jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
}

func isoWeeks(y int) int {
	_, w := time.Date(y, 12, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// PeriodAt returns the period of a kind with the given Index: the label of
// a gap in a window.
func PeriodAt(kind PeriodKind, index int) Period {
	var label string
	switch kind {
	case Day:
		label = time.Unix(int64(index)*86400, 0).UTC().Format(time.DateOnly)
	case Week:
		monday := time.Unix(int64(index*7-3)*86400, 0).UTC()
		y, w := monday.ISOWeek()
		label = fmt.Sprintf("%04d-W%02d", y, w)
	case Month:
		label = fmt.Sprintf("%04d-%02d", index/12, index%12+1)
	case Quarter:
		label = fmt.Sprintf("%04d-Q%d", index/4, index%4+1)
	case Half:
		label = fmt.Sprintf("%04d-H%d", index/2, index%2+1)
	default:
		label = fmt.Sprintf("%04d", index)
	}
	p, _ := ParsePeriod(label)
	return p
}

// PeriodOf returns the period of a kind that holds the date of t, read in
// t's own location (a rollup row's local time).
func PeriodOf(kind PeriodKind, t time.Time) Period {
	y, m, d := t.Date()
	var label string
	switch kind {
	case Day:
		label = fmt.Sprintf("%04d-%02d-%02d", y, int(m), d)
	case Week:
		wy, w := t.ISOWeek()
		label = fmt.Sprintf("%04d-W%02d", wy, w)
	case Month:
		label = fmt.Sprintf("%04d-%02d", y, int(m))
	case Quarter:
		label = fmt.Sprintf("%04d-Q%d", y, (int(m)-1)/3+1)
	case Half:
		label = fmt.Sprintf("%04d-H%d", y, (int(m)-1)/6+1)
	default:
		label = fmt.Sprintf("%04d", y)
	}
	p, _ := ParsePeriod(label)
	return p
}
