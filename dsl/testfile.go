package dsl

import (
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// TestFile is a parsed *.test.hcl file: a policy's tests (SPEC §9).
type TestFile struct {
	Name  string
	Bytes []byte
	File  *hcl.File
	Tests []*TestCase
}

// TestCase is a test "name" block.
type TestCase struct {
	Head
	Subject, Period, Team *Value
	Values                *Value // a map of metric and attribute names
	Peers                 *Value // a list of maps: other snapshots, for team statistics
	History               *Value // a list of maps, each with a period: the subject's earlier snapshots
	Rows                  *Value // a list of maps: interaction rows counted by the policy's rollup
	Expect                []*Expectation
}

// Expectation is a target, score, breach or incentive block inside expect.
type Expectation struct {
	Kind      string // target, score, breach, incentive
	Name      string
	NameRange hcl.Range
	DefRange  hcl.Range
	Fields    []*ExpectField // in source order
}

// ExpectField is one expected attribute, such as status = "met".
type ExpectField struct {
	Name  string
	Range hcl.Range
	Value *Value
}

// IsTestFile reports whether a file name is a policy test file.
func IsTestFile(name string) bool {
	return strings.HasSuffix(name, ".test.hcl") || strings.HasSuffix(name, ".test.hcl.json")
}

// ReadTestFiles reads the test files directly in a policy directory (or
// the one named, when path is a test file), sorted by name.
func ReadTestFiles(path string) ([]Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		if IsTestFile(path) {
			b, err := readRegular(path, "")
			return []Source{{Name: path, Bytes: b}}, err
		}
		return nil, nil
	}
	return readDir(path, IsTestFile)
}

var (
	testFileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "test", LabelNames: []string{"name"}}}}
	testSchema     = &hcl.BodySchema{
		Attributes: attrs("subject", "period", "team", "values", "peers", "history", "rows"),
		Blocks:     []hcl.BlockHeaderSchema{{Type: "expect"}},
	}
	expectSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		labelled("target"), labelled("score"), labelled("breach"), labelled("incentive"),
	}}
	expectFields = map[string][]string{
		"target":    {"status", "value", "attainment"},
		"score":     {"status", "value", "band"},
		"breach":    {"status"},
		"incentive": {"status", "amount", "tier"},
	}
)

// ParseTests parses test files. Test names need not match the name
// pattern (they are sentences), but must be unique within a policy.
func ParseTests(srcs []Source) ([]*TestFile, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	var diags hcl.Diagnostics
	var out []*TestFile
	seen := map[string]hcl.Range{}
	for _, s := range srcs {
		var f *hcl.File
		var ds hcl.Diagnostics
		if d := CheckNesting(s.Name, s.Bytes); d != nil {
			diags = append(diags, d)
			out = append(out, &TestFile{Name: s.Name, Bytes: s.Bytes})
			continue
		}
		if strings.HasSuffix(s.Name, ".json") {
			f, ds = parser.ParseJSON(s.Bytes, s.Name)
		} else {
			f, ds = parser.ParseHCL(s.Bytes, s.Name)
		}
		diags = append(diags, ds...)
		tf := &TestFile{Name: s.Name, Bytes: s.Bytes, File: f}
		out = append(out, tf)
		if f == nil || f.Body == nil {
			continue
		}
		d := &decoder{src: s.Bytes}
		c := d.content(f.Body, testFileSchema)
		for _, b := range c.Blocks {
			tc := &TestCase{Head: Head{Name: b.Labels[0], NameRange: b.LabelRanges[0], DefRange: b.DefRange}}
			if prev, dup := seen[tc.Name]; dup {
				d.diags = append(d.diags, Errorf(CodeBadName, tc.NameRange, "test %q is already declared at %s:%d", tc.Name, prev.Filename, prev.Start.Line))
			}
			seen[tc.Name] = tc.NameRange
			bc := d.content(b.Body, testSchema)
			tc.Subject, tc.Period, tc.Team = d.attr(bc, "subject"), d.attr(bc, "period"), d.attr(bc, "team")
			tc.Values, tc.Peers, tc.History, tc.Rows = d.attr(bc, "values"), d.attr(bc, "peers"), d.attr(bc, "history"), d.attr(bc, "rows")
			for _, eb := range bc.Blocks {
				ec := d.content(eb.Body, expectSchema)
				for _, rb := range ec.Blocks {
					e := &Expectation{Kind: rb.Type, Name: rb.Labels[0], NameRange: rb.LabelRanges[0], DefRange: rb.DefRange}
					schema := &hcl.BodySchema{Attributes: attrs(expectFields[rb.Type]...)}
					rc := d.content(rb.Body, schema)
					for _, name := range expectFields[rb.Type] {
						if a, ok := rc.Attributes[name]; ok {
							e.Fields = append(e.Fields, &ExpectField{Name: name, Range: a.Expr.Range(), Value: d.value(a.Expr)})
						}
					}
					sort.SliceStable(e.Fields, func(i, j int) bool { return e.Fields[i].Range.Start.Byte < e.Fields[j].Range.Start.Byte })
					tc.Expect = append(tc.Expect, e)
				}
			}
			tf.Tests = append(tf.Tests, tc)
		}
		diags = append(diags, d.diags...)
	}
	return out, diags
}
