package evaluator

import (
	"math"
	"strconv"

	"github.com/rubric-dev/rubric/rules"
)

// Display formats a number the way its metric or target says it is shown
// ("23.6%", "4m 26s", "1,250.00" is not done: no thousands separators),
// with the unit for the default and number formats. minor is the
// currency's minor digits, for the money format.
func Display(v float64, d rules.Display, unit string, minor int) string {
	return string(appendDisplay(nil, v, d, unit, minor))
}

// ShownDecimals is how many decimals of a value a display shows (a
// percentage's decimals plus two: 23.6% shows 0.236), or -1 when it shows
// every digit (no format, or a number without decimals).
func ShownDecimals(d rules.Display, minor int) int {
	dec := d.Decimals
	switch d.Format {
	case rules.FormatPercent:
		if dec < 0 {
			dec = 1
		}
		return dec + 2
	case rules.FormatDuration:
		return max(dec, 0)
	case rules.FormatMoney:
		if dec < 0 {
			dec = minor
		}
		return dec
	case rules.FormatNumber:
		return dec
	}
	return -1
}

func appendDisplay(b []byte, v float64, d rules.Display, unit string, minor int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return appendNumber(b, v)
	}
	withUnit := func(b []byte) []byte {
		switch unit {
		case "":
		case "%":
			b = append(b, '%')
		default:
			b = append(b, ' ')
			b = append(b, unit...)
		}
		return b
	}
	switch d.Format {
	case rules.FormatPercent:
		dec := d.Decimals
		if dec < 0 {
			dec = 1
		}
		b = strconv.AppendFloat(b, round(v*100, dec), 'f', dec, 64)
		return append(b, '%')
	case rules.FormatDuration:
		return appendDuration(b, v, d.Decimals)
	case rules.FormatMoney:
		dec := d.Decimals
		if dec < 0 {
			dec = minor
		}
		b = strconv.AppendFloat(b, round(v, dec), 'f', dec, 64)
		return withUnit(b)
	case rules.FormatNumber:
		if d.Decimals >= 0 {
			b = strconv.AppendFloat(b, round(v, d.Decimals), 'f', d.Decimals, 64)
			return withUnit(b)
		}
	}
	return withUnit(appendNumber(b, v))
}

// round rounds half away from zero to digits decimals.
func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// appendDuration writes seconds as "1h 4m 26s", "4m 26s" or "26s"
// (decimals on the seconds when asked).
func appendDuration(b []byte, secs float64, decimals int) []byte {
	if secs < 0 {
		b = append(b, '-')
		secs = -secs
	}
	if decimals < 0 {
		decimals = 0
	}
	secs = round(secs, decimals)
	h := int(secs / 3600)
	secs -= float64(h) * 3600
	m := int(secs / 60)
	secs -= float64(m) * 60
	if h > 0 {
		b = strconv.AppendInt(b, int64(h), 10)
		b = append(b, "h "...)
	}
	if h > 0 || m > 0 {
		b = strconv.AppendInt(b, int64(m), 10)
		b = append(b, "m "...)
	}
	if (h > 0 || m > 0) && secs == 0 {
		return b[:len(b)-1] // "5m", not "5m 0s"
	}
	b = strconv.AppendFloat(b, round(secs, decimals), 'f', decimals, 64)
	return append(b, 's')
}
