package dsl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// DiagnosticJSON is the machine form of a diagnostic.
type DiagnosticJSON struct {
	Severity string   `json:"severity"`
	Code     string   `json:"code"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	File     string   `json:"file,omitempty"`
	Start    *PosJSON `json:"start,omitempty"`
	End      *PosJSON `json:"end,omitempty"`
}

// PosJSON is a line and column, both 1-based.
type PosJSON struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func severity(d *hcl.Diagnostic) string {
	if d.Severity == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

// ToJSON converts diagnostics to their machine form.
func ToJSON(diags hcl.Diagnostics) []DiagnosticJSON {
	out := make([]DiagnosticJSON, 0, len(diags))
	for _, d := range diags {
		j := DiagnosticJSON{Severity: severity(d), Code: string(DiagnosticCode(d)), Summary: d.Summary, Detail: d.Detail}
		if d.Subject != nil {
			j.File = d.Subject.Filename
			j.Start = &PosJSON{d.Subject.Start.Line, d.Subject.Start.Column}
			j.End = &PosJSON{d.Subject.End.Line, d.Subject.End.Column}
		}
		out = append(out, j)
	}
	return out
}

// WriteDiagnostics renders diagnostics as text (file:line:col: severity:
// summary, then the source line and a caret), json or github (workflow
// commands). files supplies the sources for the text form.
func WriteDiagnostics(w io.Writer, format string, diags hcl.Diagnostics, files map[string][]byte) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(ToJSON(diags))
	case "github":
		bw := bufio.NewWriter(w)
		for _, d := range diags {
			msg := d.Summary
			if d.Detail != "" {
				msg += "\n" + d.Detail
			}
			fmt.Fprintf(bw, "::%s ", severity(d))
			if d.Subject != nil {
				fmt.Fprintf(bw, "file=%s,line=%d,col=%d,endLine=%d,endColumn=%d,", ghProp(d.Subject.Filename),
					d.Subject.Start.Line, d.Subject.Start.Column, d.Subject.End.Line, d.Subject.End.Column)
			}
			fmt.Fprintf(bw, "title=%s::%s\n", ghProp("rubric "+string(DiagnosticCode(d))), ghData(msg))
		}
		return bw.Flush()
	}
	bw := bufio.NewWriter(w)
	for _, d := range diags {
		writeTextDiagnostic(bw, d, files)
	}
	return bw.Flush()
}

func writeTextDiagnostic(w *bufio.Writer, d *hcl.Diagnostic, files map[string][]byte) {
	code := DiagnosticCode(d)
	if d.Subject == nil {
		fmt.Fprintf(w, "%s: %s [%s]\n", severity(d), d.Summary, code)
		if d.Detail != "" {
			fmt.Fprintf(w, "  %s\n", d.Detail)
		}
		return
	}
	s := d.Subject
	fmt.Fprintf(w, "%s:%d:%d: %s: %s [%s]\n", printable(s.Filename), s.Start.Line, s.Start.Column, severity(d), printable(d.Summary), code)
	if src, ok := files[s.Filename]; ok {
		lines := bytes.Split(src, []byte("\n"))
		if s.Start.Line >= 1 && s.Start.Line <= len(lines) {
			line := strings.TrimRight(string(lines[s.Start.Line-1]), "\r")
			line = strings.ReplaceAll(line, "\t", " ")
			if utf8.RuneCountInString(line) > 240 { // only the offending part of a huge line
				r := []rune(line)
				from := max(0, min(s.Start.Column-1-80, len(r)-240))
				line = string(r[from : from+240])
				s2 := *s
				s2.Start.Column -= from
				s2.End.Column -= from
				s = &s2
			}
			line = printable(line)
			fmt.Fprintf(w, "  %s\n", line)
			col := s.Start.Column
			if col < 1 {
				col = 1
			}
			width := 1
			if s.End.Line == s.Start.Line && s.End.Column > col {
				width = s.End.Column - col
			}
			if n := utf8.RuneCountInString(line); col-1+width > n+1 {
				width = max(1, n+1-(col-1))
			}
			fmt.Fprintf(w, "  %s%s\n", strings.Repeat(" ", col-1), strings.Repeat("^", width))
		}
	}
	if d.Detail != "" {
		fmt.Fprintf(w, "  %s\n", printable(d.Detail))
	}
}

// printable replaces control characters (an escape sequence in a policy
// file must not reach the terminal) by U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// WriteGitHubAnnotation writes one GitHub Actions workflow command
// (::error file=…,line=…,title=…::message), escaped as the runner reads
// it: for what is not a diagnostic, such as a failing policy test.
func WriteGitHubAnnotation(w io.Writer, level, file string, line int, title, msg string) error {
	_, err := fmt.Fprintf(w, "::%s file=%s,line=%d,title=%s::%s\n", level, ghProp(file), line, ghProp(title), ghData(msg))
	return err
}

func ghProp(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	return r.Replace(s)
}

func ghData(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	return r.Replace(s)
}

// SourceFiles returns file contents by name for the text renderer.
func SourceFiles(srcs []Source) map[string][]byte {
	m := make(map[string][]byte, len(srcs))
	for _, s := range srcs {
		m[s.Name] = s.Bytes
	}
	return m
}

// Validation is the machine-readable result of validating policies (what
// `rubric validate --format json` prints and the service answers).
type Validation struct {
	Valid        bool             `json:"valid"`
	ErrorCount   int              `json:"error_count"`
	WarningCount int              `json:"warning_count"`
	Diagnostics  []DiagnosticJSON `json:"diagnostics"`
}

// NewValidation summarises diagnostics.
func NewValidation(diags hcl.Diagnostics) Validation {
	v := Validation{Diagnostics: ToJSON(diags)}
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			v.ErrorCount++
		} else {
			v.WarningCount++
		}
	}
	v.Valid = v.ErrorCount == 0
	return v
}

// SortDiagnostics orders diagnostics by file, line and column, keeping the
// order of those at the same place.
func SortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a != nil && b == nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
}
