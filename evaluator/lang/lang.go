// Package lang renders rubric's sentences for people in a language
// (SPEC §15): a catalogue of the fragments sentences are made of, built
// with golang.org/x/text's message catalogues, and the language's number
// and currency forms from CLDR (Indonesian writes 1.234,56 and
// Rp1.250.000). English is the catalogue's keys: with the English locale
// (or none) every function returns its input, so machine outputs (JSON
// why, payroll files) never change.
package lang

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
	"golang.org/x/text/number"
)

// Locale is a language sentences are written in. A nil *Locale is
// English.
type Locale struct {
	tag            language.Tag
	p              *message.Printer
	group, decimal string
}

// Codes are the languages rubric writes.
var Codes = []string{"en", "id"}

// cat is the message catalogue: fragments (escaped, so that a "%" in one
// is a percent sign) and formats (whose verbs take arguments).
var cat = func() *catalog.Builder {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for key, s := range fragments {
		if err := b.SetString(language.Indonesian, escape(key), escape(s)); err != nil {
			panic(err) // the catalogue is code: a bad entry is a bug
		}
	}
	for key, s := range formats {
		if err := b.SetString(language.Indonesian, key, s); err != nil {
			panic(err)
		}
	}
	return b
}()

func escape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// Parse returns the locale of a language code: "" or en (nil: English)
// or id (Bahasa Indonesia).
func Parse(code string) (*Locale, error) {
	switch strings.ToLower(code) {
	case "", "en":
		return nil, nil
	case "id":
		l := &Locale{tag: language.Indonesian, p: message.NewPrinter(language.Indonesian, message.Catalog(cat))}
		// The separators, from CLDR: 1234.5 written in the language.
		s := l.p.Sprint(number.Decimal(1234.5, number.Scale(1)))
		l.group, l.decimal = s[1:2], s[len(s)-2:len(s)-1]
		return l, nil
	}
	return nil, fmt.Errorf("unknown language %q (%s)", code, strings.Join(Codes, " or "))
}

// Match picks the locale of an HTTP Accept-Language header: the first
// language rubric writes, English when none.
func Match(header string) *Locale {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return nil
	}
	for _, t := range tags {
		if base, _ := t.Base(); base.String() == "id" {
			l, _ := Parse("id")
			return l
		} else if base.String() == "en" {
			return nil
		}
	}
	return nil
}

// Code is the locale's language code.
func (l *Locale) Code() string {
	if l == nil {
		return "en"
	}
	return l.tag.String()
}

// S is a fragment of a sentence in the locale's language.
func (l *Locale) S(key string) string {
	if l == nil {
		return key
	}
	return l.p.Sprintf(escape(key))
}

// F formats a sentence whose format is a catalogue key ("%s, period %s
// (%s to %s, %d days)%s\n") in the locale's language; the arguments are
// written as given (numbers already in the language's form).
func (l *Locale) F(format string, args ...any) string {
	if l == nil {
		return fmt.Sprintf(format, args...)
	}
	return l.p.Sprintf(format, args...)
}

// Num writes the numbers of a text rubric wrote with "." as the decimal
// point ("1234.5", "-0.25", "4m 26s", "85.3%") in the locale's form
// ("1.234,5"): digits grouped, the language's point. Digits that are part
// of a name, a label or a date (A-1001, answered_30s, 2026-10, 09:00) are
// kept as they are.
func (l *Locale) Num(text string) string {
	if l == nil {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		c := text[i]
		if c < '0' || c > '9' {
			b.WriteByte(c)
			i++
			continue
		}
		j := i
		for j < len(text) && text[j] >= '0' && text[j] <= '9' {
			j++
		}
		if j+1 < len(text) && text[j] == '.' && text[j+1] >= '0' && text[j+1] <= '9' {
			j++
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
		}
		word := func(c byte) bool {
			return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == ':' || c == '.' || c >= '0' && c <= '9'
		}
		sign := i > 0 && text[i-1] == '-' && (i == 1 || !word(text[i-2])) // a minus, not a hyphen
		if i > 0 && word(text[i-1]) && !sign || j < len(text) && (word(text[j]) && text[j] != '.' || text[j] == '.' && j+1 < len(text) && text[j+1] >= '0' && text[j+1] <= '9') {
			b.WriteString(text[i:j]) // part of a name, a date or a version
		} else {
			b.WriteString(l.num(text[i:j]))
		}
		i = j
	}
	return b.String()
}

func (l *Locale) num(s string) string {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString(l.decimal + frac)
	}
	return b.String()
}

// Money writes an amount ("1250000.00") of a currency for people: in
// English as rubric always has ("1250000.00 IDR"), in another language
// with the currency's CLDR symbol and the language's number form
// ("Rp1.250.000", "€300,00"); an amount of whole units drops its zero
// decimals.
func (l *Locale) Money(amount, cur string) string {
	if l == nil {
		return amount + " " + cur
	}
	if i, f, ok := strings.Cut(amount, "."); ok && strings.Trim(f, "0") == "" && cur == "IDR" {
		amount = i // rupiah are written whole
	}
	sign := ""
	if strings.HasPrefix(amount, "-") {
		sign, amount = "-", amount[1:]
	}
	sym := cur + " "
	if u, err := currency.ParseISO(cur); err == nil {
		sym = l.p.Sprint(currency.Symbol(u))
	}
	return sign + sym + l.Num(amount)
}

// Has reports whether the catalogue translates a fragment or a format.
func Has(key string) bool {
	_, frag := fragments[key]
	_, form := formats[key]
	return frag || form
}

// AppendShort appends f as rubric writes a number for people: rounded to
// four decimals, or, when that would make it 0, to three significant
// digits (0.0000115); beyond 10^15 every digit. "." is the point (Num
// puts it in a language's form).
func AppendShort(b []byte, f float64) []byte {
	a := math.Abs(f)
	switch r := math.Round(f*1e4) / 1e4; {
	case math.IsInf(f, 0) || math.IsNaN(f):
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case a >= 1e15:
		return appendPlain(b, f)
	case r == 0 && f != 0 && a >= 1e-12:
		return strconv.AppendFloat(b, f, 'f', int(-math.Floor(math.Log10(a)))+2, 64)
	case r == 0 && f != 0:
		return strconv.AppendFloat(b, f, 'g', 3, 64)
	default:
		return appendPlain(b, r)
	}
}

// appendPlain writes f's shortest digits without an exponent, except far
// from 1 (below 10^-6, from 10^21), as JSON numbers are written.
func appendPlain(b []byte, f float64) []byte {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// Short rounds the long fractions of a text written in the locale
// (0.7480519480519481, 0,9909357898738429: seven decimals or more) as
// AppendShort writes a number; every other number is kept. A page for
// people (the report's statements) shows it; the JSON why keeps every
// digit.
func (l *Locale) Short(text string) string {
	re, point := longFraction, "."
	if l != nil && l.decimal == "," {
		re, point = longFractionComma, ","
	}
	return re.ReplaceAllStringFunc(text, func(m string) string {
		f, err := strconv.ParseFloat(strings.Replace(m, point, ".", 1), 64)
		if err != nil {
			return m
		}
		return strings.Replace(string(AppendShort(nil, f)), ".", point, 1)
	})
}

var (
	longFraction      = regexp.MustCompile(`\b\d+\.\d{7,}\b`)
	longFractionComma = regexp.MustCompile(`\b\d+,\d{7,}\b`)
)
