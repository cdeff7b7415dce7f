package rules

import (
	"maps"
	"slices"

	"github.com/rubric-dev/rubric/dsl"
)

// Text is something written for people (a label, a description): one
// string, or one per language code (SPEC §15). The zero Text is empty.
type Text struct {
	Default string            // the text without a language: the string, or the map's en (else its first code's)
	ByLang  map[string]string // per language code, when a map was written
}

// In returns the text in lang, else the default.
func (t Text) In(lang string) string {
	if s, ok := t.ByLang[lang]; ok && s != "" {
		return s
	}
	return t.Default
}

// Or returns the text in lang, or name when there is none: what a
// rendering for people shows for a rule.
func (t Text) Or(lang, name string) string {
	if s := t.In(lang); s != "" {
		return s
	}
	return name
}

// text reads a label or description: a string or a map of strings.
func (r *resolver) text(v *dsl.Value, what string) Text {
	if v == nil || v.Kind == dsl.KindInvalid {
		return Text{}
	}
	switch v.Kind {
	case dsl.KindString:
		return Text{Default: v.Str}
	case dsl.KindMap:
		t := Text{ByLang: map[string]string{}}
		for _, e := range v.Map {
			if e.Value.Kind != dsl.KindString {
				r.errorf(dsl.CodeWrongType, e.Value.Range, "%s: the %s text must be a string", what, e.Key)
				continue
			}
			if !languageCode(e.Key) {
				r.errorf(CodeBadValue, e.KeyRange, "%s: %q is not a language code (en, id, pt-BR …)", what, e.Key)
				continue
			}
			t.ByLang[e.Key] = e.Value.Str
		}
		t.Default = defaultLang(t.ByLang)
		return t
	}
	r.errorf(dsl.CodeWrongType, v.Range, "%s must be a string, or a map from language code to string", what)
	return Text{}
}

// defaultLang is the text of a per-language map for a reader without a
// language (and JSON): its en, else its first code's.
func defaultLang[T any](byLang map[string]T) T {
	if v, ok := byLang["en"]; ok {
		return v
	}
	var first T
	if codes := slices.Sorted(maps.Keys(byLang)); len(codes) > 0 {
		first = byLang[codes[0]]
	}
	return first
}

// languageCode reports whether s looks like a BCP 47 language tag's
// start: two or three letters, optionally a region or script.
func languageCode(s string) bool {
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z') {
		n++
	}
	if n < 2 || n > 3 {
		return false
	}
	if n == len(s) {
		return true
	}
	if s[n] != '-' && s[n] != '_' || len(s)-n-1 < 2 || len(s)-n-1 > 4 {
		return false
	}
	for _, c := range s[n+1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
