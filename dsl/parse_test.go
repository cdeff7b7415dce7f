package dsl

import (
	"strings"
	"testing"
)

func TestExpressionPositions(t *testing.T) {
	tests := []struct {
		name, src string
		at        int // rune offset in the decoded expression
		line, col int
	}{
		{name: "plain", src: "target \"a\" {\n  when = \"handled >= 50\"\n}\n", at: 8, line: 2, col: 19},
		{name: "escape", src: "target \"a\" {\n  when = \"band.x == \\\"gold\\\" && y\"\n}\n", at: 17, line: 2, col: 30},
		{name: "heredoc", src: "target \"a\" {\n  when = <<EOT\nhandled >= 50 &&\n  csat > 1\nEOT\n}\n", at: 19, line: 4, col: 3},
		{name: "flush heredoc", src: "target \"a\" {\n  when = <<-EOT\n    handled >= 50 &&\n      csat > 1\n    EOT\n}\n", at: 19, line: 4, col: 7},
		{name: "json", src: `{"target": {"a": {"when": "handled >= \"x\" && y"}}}`, at: 15, line: 1, col: 45},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "p.hcl"
			if strings.HasPrefix(tt.src, "{") {
				name = "p.hcl.json"
			}
			p, diags := Parse([]Source{{Name: name, Bytes: []byte(tt.src)}})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			v := p.Targets[0].When
			if v.Kind != KindString {
				t.Fatalf("kind %v", v.Kind)
			}
			pos := v.Pos(tt.at)
			if pos.Line != tt.line || pos.Column != tt.col {
				t.Errorf("rune %d (%q) at %d:%d, want %d:%d", tt.at, string([]rune(v.Str)[tt.at]), pos.Line, pos.Column, tt.line, tt.col)
			}
			if got := string([]rune(v.Str)[tt.at]); string(tt.src[pos.Byte:pos.Byte+len(got)]) != got {
				t.Errorf("byte offset %d holds %q, want %q", pos.Byte, tt.src[pos.Byte:pos.Byte+1], got)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		code      Code
		line, col int
	}{
		{"interpolation", "target \"a\" {\n  when = \"x > ${y}\"\n}\n", CodeInterpolation, 2, 15},
		{"bare name", "target \"a\" {\n  goal = aht_goal\n}\n", CodeNotConstant, 2, 10},
		{"bad label", "metric \"AHT\" {\n}\n", CodeBadName, 1, 8},
		{"unknown attribute", "metric \"aht\" {\n  bettr = \"lower\"\n}\n", CodeSyntax, 2, 3},
		{"syntax", "metric \"aht\" {\n  better = \n}\n", CodeSyntax, 2, 12},
		{"json interpolation", `{"target": {"a": {"when": "x > ${y}"}}}`, CodeInterpolation, 1, 27},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "p.hcl"
			if strings.HasPrefix(tt.src, "{") {
				name = "p.hcl.json"
			}
			_, diags := Parse([]Source{{Name: name, Bytes: []byte(tt.src)}})
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if DiagnosticCode(d) != tt.code || d.Subject.Start.Line != tt.line || d.Subject.Start.Column != tt.col {
				t.Errorf("got %s at %d:%d (%s), want %s at %d:%d", DiagnosticCode(d), d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, tt.code, tt.line, tt.col)
			}
		})
	}
}

func TestValues(t *testing.T) {
	src := "target \"a\" {\n  goal = 0.1\n  cap = -2\n  curve = [[240, 1.5], [300, 1]]\n}\nscorecard \"s\" {\n  weights = { a = 60, \"b\" = 40 }\n}\n"
	p, diags := Parse([]Source{{Name: "p.hcl", Bytes: []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tg := p.Targets[0]
	if tg.Goal.Num != "0.1" || tg.Cap.Num != "-2" {
		t.Errorf("numbers %q %q", tg.Goal.Num, tg.Cap.Num)
	}
	if len(tg.Curve.List) != 2 || tg.Curve.List[0].List[0].Num != "240" || tg.Curve.List[1].List[1].Num != "1" {
		t.Errorf("curve %+v", tg.Curve)
	}
	w := p.Scorecards[0].Weights
	if len(w.Map) != 2 || w.Map[0].Key != "a" || w.Map[1].Key != "b" || w.Map[1].Value.Num != "40" {
		t.Errorf("weights %+v", w.Map)
	}
}
