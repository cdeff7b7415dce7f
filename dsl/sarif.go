package dsl

import (
	"encoding/json"
	"io"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// WriteSARIF writes diagnostics as a SARIF 2.1.0 log, for code-scanning
// views (GitHub code scanning and others).
func WriteSARIF(w io.Writer, diags hcl.Diagnostics, version string) error {
	type region struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
		EndLine     int `json:"endLine"`
		EndColumn   int `json:"endColumn"`
	}
	type location struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region region `json:"region"`
		} `json:"physicalLocation"`
	}
	type message struct {
		Text string `json:"text"`
	}
	type result struct {
		RuleID    string     `json:"ruleId"`
		Level     string     `json:"level"`
		Message   message    `json:"message"`
		Locations []location `json:"locations,omitempty"`
	}
	type help struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	}
	type rule struct {
		ID               string  `json:"id"`
		Name             string  `json:"name"`
		ShortDescription message `json:"shortDescription"`
		FullDescription  message `json:"fullDescription"`
		Help             help    `json:"help"`
		HelpURI          string  `json:"helpUri"`
	}
	results := []result{}
	codes := map[string]bool{}
	for _, d := range diags {
		code := string(DiagnosticCode(d))
		codes[code] = true
		text := d.Summary
		if d.Detail != "" {
			text += "\n" + d.Detail
		}
		r := result{RuleID: "rubric/" + code, Level: severity(d), Message: message{text}}
		if d.Subject != nil {
			var l location
			l.PhysicalLocation.ArtifactLocation.URI = filepath.ToSlash(d.Subject.Filename)
			l.PhysicalLocation.Region = region{d.Subject.Start.Line, d.Subject.Start.Column, max(d.Subject.End.Line, d.Subject.Start.Line), max(d.Subject.End.Column, d.Subject.Start.Column+1)}
			r.Locations = []location{l}
		}
		results = append(results, r)
	}
	rules := []rule{}
	for c := range codes {
		doc, ok := Code(c).Doc()
		if !ok {
			doc = CodeDoc{Short: "rubric diagnostic " + c, Full: "A rubric diagnostic; the message says what is wrong and where."}
		}
		rules = append(rules, rule{
			ID: "rubric/" + c, Name: c,
			ShortDescription: message{doc.Short}, FullDescription: message{doc.Full},
			Help:    help{Text: doc.Full, Markdown: "**" + doc.Short + "**\n\n" + doc.Full + "\n\nSee [the policy language](https://github.com/rubric-dev/rubric/blob/main/docs/language.md) and [rubric in CI](https://github.com/rubric-dev/rubric/blob/main/docs/ci.md)."},
			HelpURI: "https://github.com/rubric-dev/rubric/blob/main/docs/language.md",
		})
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	log := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name": "rubric", "version": version, "informationUri": "https://github.com/rubric-dev/rubric", "rules": rules,
			}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}
