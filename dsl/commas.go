package dsl

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// HCL's native syntax allows one argument in a single-line block; SPEC.md
// writes several, separated by commas (column "talk" { type = "duration",
// from = "Talk Time" }). commaBlocks reads them: each comma that separates
// arguments directly inside a block's braces becomes a newline, a byte for
// a byte, so every byte offset stays where it was; posMap turns the
// positions HCL reports in the rewritten text back into the lines and
// columns of the file as written.

// commaBlocks returns src with each single-line block whose arguments are
// separated by commas broken into lines (the space after its "{", each
// comma and the space before its "}" made newlines), and the map back;
// src itself when there is none.
func commaBlocks(src []byte, name string) ([]byte, *posMap) {
	toks, diags := hclsyntax.LexConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return src, nil
	}
	type open struct {
		block  bool
		at     hcl.Pos   // the "{"
		commas []hcl.Pos // commas directly inside a block's braces
	}
	var stack []open
	var breaks []hcl.Pos
	prev := hclsyntax.TokenNewline // the last significant token
	for _, t := range toks {
		switch t.Type {
		case hclsyntax.TokenOBrace:
			isBlock := true
			switch prev {
			case hclsyntax.TokenEqual, hclsyntax.TokenOParen, hclsyntax.TokenOBrack, hclsyntax.TokenComma,
				hclsyntax.TokenColon, hclsyntax.TokenQuestion, hclsyntax.TokenOBrace:
				isBlock = false // an object or a nested value
			}
			stack = append(stack, open{block: isBlock, at: t.Range.Start})
		case hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			stack = append(stack, open{})
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenTemplateSeqEnd:
			if len(stack) == 0 {
				break
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			end := t.Range.Start
			// Only a block on one line, with spaces inside its braces, is
			// rewritten: its bytes are enough to hold the newlines.
			if t.Type != hclsyntax.TokenCBrace || len(o.commas) == 0 || end.Line != o.at.Line ||
				src[o.at.Byte+1] != ' ' || src[end.Byte-1] != ' ' {
				break
			}
			after := hcl.Pos{Line: o.at.Line, Column: o.at.Column + 1, Byte: o.at.Byte + 1}
			before := hcl.Pos{Line: end.Line, Column: end.Column - 1, Byte: end.Byte - 1}
			breaks = append(breaks, after)
			breaks = append(breaks, o.commas...)
			breaks = append(breaks, before)
		case hclsyntax.TokenComma:
			if n := len(stack); n > 0 && stack[n-1].block {
				stack[n-1].commas = append(stack[n-1].commas, t.Range.Start)
			}
		}
		if t.Type != hclsyntax.TokenNewline && t.Type != hclsyntax.TokenComment {
			prev = t.Type
		}
	}
	if len(breaks) == 0 {
		return src, nil
	}
	slices.SortFunc(breaks, func(a, b hcl.Pos) int { return a.Byte - b.Byte })
	out := append([]byte(nil), src...)
	for _, p := range breaks {
		out[p.Byte] = '\n'
	}
	return out, &posMap{commas: breaks}
}

// posMap maps positions in a text commaBlocks rewrote back to the text as
// written: the bytes it made newlines, in order, at their positions as
// written.
type posMap struct {
	commas []hcl.Pos
}

// pos maps a position in the rewritten text back.
func (m *posMap) pos(p hcl.Pos) hcl.Pos {
	if m == nil {
		return p
	}
	k := 0 // newlines made before p
	for k < len(m.commas) && m.commas[k].Byte < p.Byte {
		k++
	}
	if k == 0 {
		return p
	}
	last := m.commas[k-1]
	out := p
	out.Line = p.Line - k
	// On the line the last comma ended, the rewritten column restarts at 1
	// after it: count from the comma as written.
	if out.Line == last.Line {
		out.Column = last.Column + p.Column
	}
	return out
}

// rng maps a range back.
func (m *posMap) rng(r hcl.Range) hcl.Range {
	r.Start, r.End = m.pos(r.Start), m.pos(r.End)
	return r
}

// mapDiagnostics maps the ranges of diags in files that were rewritten.
// Each diagnostic's ranges are its own (copied), so none is mapped twice.
func mapDiagnostics(maps map[string]*posMap, diags hcl.Diagnostics) {
	if len(maps) == 0 {
		return
	}
	for _, d := range diags {
		for _, r := range []**hcl.Range{&d.Subject, &d.Context} {
			if *r == nil {
				continue
			}
			if m := maps[(*r).Filename]; m != nil {
				mapped := m.rng(**r)
				*r = &mapped
			}
		}
	}
}

// MapDiagnostics maps diagnostics about the policy's files (those rules
// reports about its values) back to the files as written.
func (p *Policy) MapDiagnostics(diags hcl.Diagnostics) { mapDiagnostics(p.posMaps, diags) }
