package dsl

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// namePattern is the pattern every rule name must match.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// IsPolicyFile reports whether a file name belongs to a policy: *.hcl or
// *.hcl.json, but not a test file (*.test.hcl, *.test.hcl.json).
func IsPolicyFile(name string) bool {
	if strings.HasSuffix(name, ".test.hcl") || strings.HasSuffix(name, ".test.hcl.json") {
		return false
	}
	return strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".hcl.json")
}

// ReadSources reads a policy from path: a directory (every policy file
// directly in it, sorted by name) or a single file. Errors here are about
// the file system, not the policy text.
func ReadSources(path string) ([]Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		b, err := readRegular(path, "")
		if err != nil {
			return nil, err
		}
		return []Source{{Name: path, Bytes: b}}, nil
	}
	out, err := readDir(path, IsPolicyFile)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%s: no policy files (*.hcl, *.hcl.json) in this directory", path)
	}
	return out, err
}

// readDir reads the files directly in dir whose names keep accepts,
// sorted by name.
func readDir(dir string, keep func(name string) bool) ([]Source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, e := range entries {
		if e.IsDir() || !keep(e.Name()) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		b, err := readRegular(name, dir)
		if err != nil {
			return nil, err
		}
		out = append(out, Source{Name: name, Bytes: b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// MaxFileBytes is the largest policy or test file rubric reads.
const MaxFileBytes = 4 << 20

// readRegular reads a policy or test file that is a regular file of at
// most MaxFileBytes. Inside a policy directory (dir set), a symlink may
// point to a file inside the directory, never outside it: a committed
// `zz.hcl -> /proc/self/environ` must not print the CI's environment, and
// `-> /dev/zero` or a FIFO must not hang or exhaust memory.
func readRegular(path, dir string) ([]byte, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if li.Mode()&os.ModeSymlink != 0 {
		if dir == "" {
			dir = filepath.Dir(path)
		}
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, err
		}
		base, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return nil, err
		}
		if rel, err := filepath.Rel(base, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			return nil, fmt.Errorf("%s is a symlink that leaves the policy directory; refusing to read it", path)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file; refusing to read it", path)
	}
	if fi.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%s is %d bytes; policy and test files may be at most %d", path, fi.Size(), MaxFileBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("%s grew beyond %d bytes while being read", path, MaxFileBytes)
	}
	return b, nil
}

// MaxNesting bounds how deeply brackets may nest in a policy file: HCL's
// parsers are recursive, and a file of nested brackets would otherwise
// overflow the stack, which no recover can catch.
const MaxNesting = 100

// CheckNesting reports a file whose brackets ((, [ and {) nest deeper than
// MaxNesting, at the bracket that goes too deep; nil when it is fine. It
// counts every bracket, inside strings too, so it errs on the safe side.
func CheckNesting(name string, b []byte) *hcl.Diagnostic {
	depth, line, col := 0, 1, 1
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '(', '[', '{':
			depth++
			if depth > MaxNesting {
				pos := hcl.Pos{Line: line, Column: col, Byte: i}
				return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("brackets nest more than %d deep", MaxNesting),
					Detail:  "A policy never needs this much nesting; the file is refused before it is parsed.",
					Subject: &hcl.Range{Filename: name, Start: pos, End: hcl.Pos{Line: line, Column: col + 1, Byte: i + 1}}}
			}
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		case '\n':
			line, col = line+1, 0
		}
		if b[i] < 0x80 || b[i] >= 0xC0 {
			col++
		}
	}
	return nil
}

// ReadFile reads one policy or test file under the rules of a policy
// directory: a regular file of at most MaxFileBytes, or a symlink that
// stays inside the file's directory.
func ReadFile(path string) ([]byte, error) { return readRegular(path, "") }

// Parse parses policy sources already in memory. Sources are used in the
// order given.
func Parse(srcs []Source) (*Policy, hcl.Diagnostics) {
	p := &Policy{Sources: srcs, Files: map[string]*hcl.File{}}
	parser := hclparse.NewParser()
	var diags hcl.Diagnostics
	for _, s := range srcs {
		var f *hcl.File
		var ds hcl.Diagnostics
		if d := CheckNesting(s.Name, s.Bytes); d != nil {
			diags = append(diags, d)
			continue
		}
		src := s.Bytes
		if strings.HasSuffix(s.Name, ".json") {
			f, ds = parser.ParseJSON(src, s.Name)
		} else {
			var m *posMap
			if src, m = commaBlocks(src, s.Name); m != nil {
				if p.posMaps == nil {
					p.posMaps = map[string]*posMap{}
				}
				p.posMaps[s.Name] = m
			}
			f, ds = parser.ParseHCL(src, s.Name)
			mapDiagnostics(p.posMaps, ds)
		}
		diags = append(diags, ds...)
		if f == nil {
			continue
		}
		p.Files[s.Name] = f
		if ds.HasErrors() && f.Body == nil {
			continue
		}
		d := &decoder{src: src}
		d.file(f.Body, p)
		mapDiagnostics(p.posMaps, d.diags)
		diags = append(diags, d.diags...)
	}
	return p, diags
}

type decoder struct {
	src   []byte
	diags hcl.Diagnostics
}

func labelled(name string) hcl.BlockHeaderSchema {
	return hcl.BlockHeaderSchema{Type: name, LabelNames: []string{"name"}}
}

func attrs(names ...string) []hcl.AttributeSchema {
	out := make([]hcl.AttributeSchema, len(names))
	for i, n := range names {
		out[i] = hcl.AttributeSchema{Name: n}
	}
	return out
}

var (
	fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		labelled("policy"), labelled("metric"), labelled("attribute"), labelled("param"),
		labelled("target"), labelled("scorecard"), labelled("breach"), labelled("incentive"), labelled("rollup"),
	}}
	rollupSchema = &hcl.BodySchema{
		Attributes: attrs("subject", "team", "time", "time_zone", "time_layout", "where"),
		Blocks:     []hcl.BlockHeaderSchema{labelled("column"), labelled("measure")},
	}
	columnSchema    = &hcl.BodySchema{Attributes: attrs("type", "from")}
	measureSchema   = &hcl.BodySchema{Attributes: attrs("count", "sum", "min", "max", "avg", "quantile", "of", "distinct", "where")}
	policySchema    = &hcl.BodySchema{Attributes: attrs("title", "version", "owner", "language", "currency", "period", "history", "min_team", "effective_from", "effective_to")}
	metricSchema    = &hcl.BodySchema{Attributes: attrs("title", "label", "description", "unit", "better", "min", "max", "default", "expr", "required", "format", "decimals")}
	attributeSchema = &hcl.BodySchema{Attributes: attrs("title", "type", "required", "payroll")}
	paramSchema     = &hcl.BodySchema{Attributes: attrs("title", "value")}
	targetSchema    = &hcl.BodySchema{Attributes: attrs("title", "label", "description", "metric", "value", "better", "unit", "format", "decimals", "goal", "threshold", "stretch",
		"when", "sample", "min_sample", "scoring", "cap", "curve", "severity")}
	scorecardSchema = &hcl.BodySchema{Attributes: attrs("title", "label", "description", "weights", "missing", "min_coverage"), Blocks: []hcl.BlockHeaderSchema{labelled("band")}}
	bandSchema      = &hcl.BodySchema{Attributes: attrs("title", "label", "description", "min")}
	breachSchema    = &hcl.BodySchema{Attributes: attrs("title", "label", "description", "when", "severity", "message")}
	incentiveSchema = &hcl.BodySchema{
		Attributes: attrs("title", "label", "description", "code", "basis", "units", "schedule", "amount", "prorate", "cap", "floor", "rounding"),
		Blocks:     []hcl.BlockHeaderSchema{labelled("gate"), labelled("tier"), labelled("rate")},
	}
	gateSchema = &hcl.BodySchema{Attributes: attrs("title", "label", "description", "when")}
	tierSchema = &hcl.BodySchema{Attributes: attrs("title", "label", "description", "when", "multiplier")}
	rateSchema = &hcl.BodySchema{Attributes: attrs("title", "from", "per_unit")}
)

func (d *decoder) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, ds := body.Content(schema)
	d.diags = append(d.diags, ds...)
	if c == nil {
		c = &hcl.BodyContent{Attributes: hcl.Attributes{}}
	}
	return c
}

func (d *decoder) head(b *hcl.Block) Head {
	h := Head{DefRange: b.DefRange}
	if len(b.Labels) > 0 {
		h.Name = b.Labels[0]
		h.NameRange = b.LabelRanges[0]
		if !namePattern.MatchString(h.Name) {
			d.diags = append(d.diags, WithDetail(Errorf(CodeBadName, h.NameRange, "invalid %s name %q", b.Type, h.Name),
				"Names must start with a lower-case letter and hold only lower-case letters, digits and underscores ([a-z][a-z0-9_]*)."))
		}
	} else {
		h.NameRange = b.DefRange
	}
	return h
}

// people sets h's label and description from c (SPEC §15).
func (d *decoder) people(h Head, c *hcl.BodyContent) Head {
	h.Label, h.Description = d.attr(c, "label"), d.attr(c, "description")
	return h
}

// attr decodes the named attribute of c, or returns nil when it is absent.
func (d *decoder) attr(c *hcl.BodyContent, name string) *Value {
	a, ok := c.Attributes[name]
	if !ok {
		return nil
	}
	return d.value(a.Expr)
}

func (d *decoder) file(body hcl.Body, p *Policy) {
	c := d.content(body, fileSchema)
	for _, b := range c.Blocks {
		h := d.head(b)
		switch b.Type {
		case "policy":
			bc := d.content(b.Body, policySchema)
			p.Policy = append(p.Policy, &PolicyBlock{Head: h,
				Title: d.attr(bc, "title"), Version: d.attr(bc, "version"), Owner: d.attr(bc, "owner"),
				Language: d.attr(bc, "language"), Currency: d.attr(bc, "currency"), Period: d.attr(bc, "period"),
				EffectiveFrom: d.attr(bc, "effective_from"), EffectiveTo: d.attr(bc, "effective_to"), History: d.attr(bc, "history"), MinTeam: d.attr(bc, "min_team")})
		case "metric":
			bc := d.content(b.Body, metricSchema)
			p.Metrics = append(p.Metrics, &Metric{Head: d.people(h, bc),
				Title: d.attr(bc, "title"), Unit: d.attr(bc, "unit"), Better: d.attr(bc, "better"),
				Min: d.attr(bc, "min"), Max: d.attr(bc, "max"), Default: d.attr(bc, "default"),
				Expr: d.attr(bc, "expr"), Required: d.attr(bc, "required"), Format: d.attr(bc, "format"), Decimals: d.attr(bc, "decimals")})
		case "attribute":
			bc := d.content(b.Body, attributeSchema)
			p.Attributes = append(p.Attributes, &Attribute{Head: h,
				Title: d.attr(bc, "title"), Type: d.attr(bc, "type"), Required: d.attr(bc, "required"), Payroll: d.attr(bc, "payroll")})
		case "param":
			bc := d.content(b.Body, paramSchema)
			p.Params = append(p.Params, &Param{Head: h, Title: d.attr(bc, "title"), Value: d.attr(bc, "value")})
		case "target":
			bc := d.content(b.Body, targetSchema)
			p.Targets = append(p.Targets, &Target{Head: d.people(h, bc),
				Title: d.attr(bc, "title"), Metric: d.attr(bc, "metric"), Value: d.attr(bc, "value"),
				Better: d.attr(bc, "better"), Unit: d.attr(bc, "unit"), Goal: d.attr(bc, "goal"),
				Threshold: d.attr(bc, "threshold"), Stretch: d.attr(bc, "stretch"), When: d.attr(bc, "when"),
				Sample: d.attr(bc, "sample"), MinSample: d.attr(bc, "min_sample"), Scoring: d.attr(bc, "scoring"),
				Cap: d.attr(bc, "cap"), Curve: d.attr(bc, "curve"), Severity: d.attr(bc, "severity"),
				Format: d.attr(bc, "format"), Decimals: d.attr(bc, "decimals")})
		case "scorecard":
			bc := d.content(b.Body, scorecardSchema)
			sc := &Scorecard{Head: d.people(h, bc), Title: d.attr(bc, "title"), Weights: d.attr(bc, "weights"),
				Missing: d.attr(bc, "missing"), MinCoverage: d.attr(bc, "min_coverage")}
			for _, bb := range bc.Blocks {
				c2 := d.content(bb.Body, bandSchema)
				sc.Bands = append(sc.Bands, &Band{Head: d.people(d.head(bb), c2), Title: d.attr(c2, "title"), Min: d.attr(c2, "min")})
			}
			p.Scorecards = append(p.Scorecards, sc)
		case "breach":
			bc := d.content(b.Body, breachSchema)
			br := &Breach{Head: d.people(h, bc), Title: d.attr(bc, "title"), When: d.attr(bc, "when"), Severity: d.attr(bc, "severity")}
			if a, ok := bc.Attributes["message"]; ok {
				if br.Messages = d.langMessages(a.Expr); br.Messages == nil {
					br.Message = d.message(a.Expr)
				}
			}
			p.Breaches = append(p.Breaches, br)
		case "incentive":
			bc := d.content(b.Body, incentiveSchema)
			in := &Incentive{Head: d.people(h, bc), Title: d.attr(bc, "title"), Code: d.attr(bc, "code"),
				Basis: d.attr(bc, "basis"), Units: d.attr(bc, "units"), Schedule: d.attr(bc, "schedule"),
				Amount: d.attr(bc, "amount"), Prorate: d.attr(bc, "prorate"), Cap: d.attr(bc, "cap"),
				Floor: d.attr(bc, "floor"), Rounding: d.attr(bc, "rounding")}
			for _, bb := range bc.Blocks {
				switch bb.Type {
				case "gate":
					c2 := d.content(bb.Body, gateSchema)
					in.Gates = append(in.Gates, &Gate{Head: d.people(d.head(bb), c2), Title: d.attr(c2, "title"), When: d.attr(c2, "when")})
				case "tier":
					c2 := d.content(bb.Body, tierSchema)
					in.Tiers = append(in.Tiers, &Tier{Head: d.people(d.head(bb), c2), Title: d.attr(c2, "title"), When: d.attr(c2, "when"), Multiplier: d.attr(c2, "multiplier")})
				case "rate":
					c2 := d.content(bb.Body, rateSchema)
					in.Rates = append(in.Rates, &Rate{Head: d.head(bb), Title: d.attr(c2, "title"), From: d.attr(c2, "from"), PerUnit: d.attr(c2, "per_unit")})
				}
			}
			p.Incentives = append(p.Incentives, in)
		case "rollup":
			bc := d.content(b.Body, rollupSchema)
			ru := &Rollup{Head: h, Subject: d.attr(bc, "subject"), Team: d.attr(bc, "team"), Time: d.attr(bc, "time"),
				TimeZone: d.attr(bc, "time_zone"), TimeLayout: d.attr(bc, "time_layout"), Where: d.attr(bc, "where")}
			for _, bb := range bc.Blocks {
				switch bb.Type {
				case "column":
					c2 := d.content(bb.Body, columnSchema)
					ru.Columns = append(ru.Columns, &RollupColumn{Head: d.head(bb), Type: d.attr(c2, "type"), From: d.attr(c2, "from")})
				case "measure":
					c2 := d.content(bb.Body, measureSchema)
					ru.Measures = append(ru.Measures, &Measure{Head: d.head(bb), Count: d.attr(c2, "count"), Sum: d.attr(c2, "sum"),
						Min: d.attr(c2, "min"), Max: d.attr(c2, "max"), Avg: d.attr(c2, "avg"), Quantile: d.attr(c2, "quantile"),
						Of: d.attr(c2, "of"), Distinct: d.attr(c2, "distinct"), Where: d.attr(c2, "where")})
				}
			}
			p.Rollups = append(p.Rollups, ru)
		}
	}
}

// value decodes a constant expression. Strings from templates must be plain
// literals; a ${...} or %{...} inside is an error.
func (d *decoder) value(expr hcl.Expression) *Value {
	v, ok := d.decodeValue(expr)
	if !ok {
		return &Value{Kind: KindInvalid, Range: expr.Range()}
	}
	return v
}

func (d *decoder) decodeValue(expr hcl.Expression) (*Value, bool) {
	rng := expr.Range()
	switch e := expr.(type) {
	case *hclsyntax.TemplateWrapExpr:
		d.diags = append(d.diags, d.interpolationError(e.Wrapped.Range()))
		return nil, false
	case *hclsyntax.TemplateExpr:
		heredoc := rng.End.Byte > rng.Start.Byte && rng.Start.Byte+2 <= len(d.src) && bytes.HasPrefix(d.src[rng.Start.Byte:], []byte("<<"))
		v := &Value{Kind: KindString, Range: rng}
		var sb strings.Builder
		for _, part := range e.Parts {
			lit, ok := part.(*hclsyntax.LiteralValueExpr)
			if !ok || lit.Val.Type() != cty.String {
				d.diags = append(d.diags, d.interpolationError(part.Range()))
				return nil, false
			}
			s := lit.Val.AsString()
			sb.WriteString(s)
			pr := lit.SrcRange
			var raw []byte
			if pr.Start.Byte <= pr.End.Byte && pr.End.Byte <= len(d.src) {
				raw = d.src[pr.Start.Byte:pr.End.Byte]
			}
			ps := stringPositions(raw, s, pr.Start, !heredoc)
			v.pos = append(v.pos, ps[:len(ps)-1]...)
		}
		v.Str = sb.String()
		end := rng.End
		if !heredoc && end.Column > 1 {
			end.Column-- // before the closing quote
			end.Byte--
		}
		v.pos = append(v.pos, end)
		return v, true
	case *hclsyntax.TupleConsExpr:
		v := &Value{Kind: KindList, Range: rng}
		ok := true
		for _, el := range e.Exprs {
			ev, eok := d.decodeValue(el)
			ok = ok && eok
			v.List = append(v.List, ev)
		}
		return v, ok
	case *hclsyntax.ObjectConsExpr:
		v := &Value{Kind: KindMap, Range: rng}
		ok := true
		for _, it := range e.Items {
			key, kok := d.mapKey(it.KeyExpr)
			ev, eok := d.decodeValue(it.ValueExpr)
			ok = ok && kok && eok
			v.Map = append(v.Map, &MapEntry{Key: key, KeyRange: it.KeyExpr.Range(), Value: ev})
		}
		return v, ok
	}
	// Everything else is either an hclsyntax constant (a number, a bool,
	// a negated number) or an expression of HCL's JSON syntax.
	if _, isNative := expr.(hclsyntax.Expression); !isNative {
		if items, diags := hcl.ExprList(expr); !diags.HasErrors() && isJSONList(expr) {
			v := &Value{Kind: KindList, Range: rng}
			ok := true
			for _, el := range items {
				ev, eok := d.decodeValue(el)
				ok = ok && eok
				v.List = append(v.List, ev)
			}
			return v, ok
		}
		if pairs, diags := hcl.ExprMap(expr); !diags.HasErrors() {
			v := &Value{Kind: KindMap, Range: rng}
			ok := true
			for _, kv := range pairs {
				key, kok := d.mapKey(kv.Key)
				ev, eok := d.decodeValue(kv.Value)
				ok = ok && kok && eok
				v.Map = append(v.Map, &MapEntry{Key: key, KeyRange: kv.Key.Range(), Value: ev})
			}
			return v, ok
		}
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		if trav, tdiags := hcl.AbsTraversalForExpr(expr); !tdiags.HasErrors() {
			name := strings.TrimSpace(string(rng.SliceBytes(d.src)))
			if name == "" {
				name = trav.RootName()
			}
			d.diags = append(d.diags, WithDetail(Errorf(CodeNotConstant, rng, "expressions must be written as strings: use \"%s\"", name),
				"An attribute holds either a constant (a number, a bool) or an expression in quotes, such as goal = \"aht_goal\"."))
		} else {
			d.diags = append(d.diags, WithDetail(Errorf(CodeNotConstant, rng, "expected a constant or a quoted expression"),
				"Write numbers and bools as they are and CEL or expr expressions in quotes, such as when = \"handled >= 50\"."))
		}
		return nil, false
	}
	if !val.IsWhollyKnown() {
		// Only a syntax error (reported by the parser) leaves a value unknown.
		return nil, false
	}
	val, _ = val.UnmarkDeep()
	if val.IsNull() {
		d.diags = append(d.diags, Errorf(CodeWrongType, rng, "a value is required here, not null"))
		return nil, false
	}
	switch val.Type() {
	case cty.Number:
		return &Value{Kind: KindNumber, Range: rng, Num: shortest(val.AsBigFloat())}, true
	case cty.Bool:
		return &Value{Kind: KindBool, Range: rng, Bool: val.True()}, true
	case cty.String:
		s := val.AsString()
		if i := strings.Index(s, "${"); i >= 0 {
			d.diags = append(d.diags, d.interpolationError(rng))
			return nil, false
		}
		v := &Value{Kind: KindString, Range: rng, Str: s}
		inner := rng
		if rng.End.Byte-rng.Start.Byte >= 2 && rng.End.Byte <= len(d.src) && d.src[rng.Start.Byte] == '"' {
			inner.Start.Byte++
			inner.Start.Column++
			inner.End.Byte--
			inner.End.Column--
		}
		var raw []byte
		if inner.Start.Byte <= inner.End.Byte && inner.End.Byte <= len(d.src) {
			raw = d.src[inner.Start.Byte:inner.End.Byte]
		}
		v.pos = stringPositions(raw, s, inner.Start, true)
		return v, true
	}
	d.diags = append(d.diags, Errorf(CodeWrongType, rng, "unsupported value of type %s", val.Type().FriendlyName()))
	return nil, false
}

func isJSONList(expr hcl.Expression) bool {
	v, diags := expr.Value(nil)
	return !diags.HasErrors() && (v.Type().IsTupleType() || v.Type().IsListType())
}

func (d *decoder) mapKey(expr hcl.Expression) (string, bool) {
	if kw := hcl.ExprAsKeyword(expr); kw != "" {
		return kw, true
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || v.Type() != cty.String {
		d.diags = append(d.diags, Errorf(CodeWrongType, expr.Range(), "a map key must be a name"))
		return "", false
	}
	return v.AsString(), true
}

func (d *decoder) interpolationError(rng hcl.Range) *hcl.Diagnostic {
	// Point at the "${" that opens the interpolation, when it is there.
	if b := rng.Start.Byte; b >= 2 && b <= len(d.src) && (string(d.src[b-2:b]) == "${" || string(d.src[b-2:b]) == "%{") && rng.Start.Column > 2 {
		rng.Start.Byte -= 2
		rng.Start.Column -= 2
	}
	return WithDetail(Errorf(CodeInterpolation, rng, "${...} is not allowed inside an expression string"),
		"An expression is written in CEL or expr as a plain string; refer to names directly, as in \"aht <= aht_goal\". To write a literal \"${\", use \"$${\".")
}

// langMessages decodes a message written per language, a map from
// language code to template; nil when expr is not a map.
func (d *decoder) langMessages(expr hcl.Expression) []*LangMessage {
	var out []*LangMessage
	switch e := expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			code, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || code.IsNull() || code.Type() != cty.String {
				d.diags = append(d.diags, Errorf(CodeWrongType, item.KeyExpr.Range(), "a message's language must be a code such as en or id"))
				continue
			}
			out = append(out, &LangMessage{Code: code.AsString(), CodeRange: item.KeyExpr.Range(), Message: d.message(item.ValueExpr)})
		}
		if out == nil {
			out = []*LangMessage{} // a map, if an empty one
		}
		return out
	case hclsyntax.Expression:
		return nil
	}
	// JSON syntax: an object of template strings.
	v, diags := expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.Type().IsObjectType() {
		return nil
	}
	for _, code := range slices.Sorted(maps.Keys(v.Type().AttributeTypes())) {
		m := &Message{Range: expr.Range()}
		if t := v.GetAttr(code); t.Type() != cty.String || t.IsNull() {
			d.diags = append(d.diags, Errorf(CodeWrongType, expr.Range(), "the %s message must be a string", code))
		} else if tmpl, diags := hclsyntax.ParseTemplate([]byte(t.AsString()), expr.Range().Filename, expr.Range().Start); diags.HasErrors() {
			d.diags = append(d.diags, diags...)
		} else {
			m = d.message(tmpl)
		}
		out = append(out, &LangMessage{Code: code, CodeRange: expr.Range(), Message: m})
	}
	if out == nil {
		out = []*LangMessage{}
	}
	return out
}

// message decodes an HCL template into text and inserted names.
func (d *decoder) message(expr hcl.Expression) *Message {
	m := &Message{Range: expr.Range()}
	if _, native := expr.(hclsyntax.Expression); !native {
		// JSON syntax: the string is a template source of its own.
		v, diags := expr.Value(nil)
		if diags.HasErrors() || v.IsNull() || v.Type() != cty.String {
			d.diags = append(d.diags, Errorf(CodeWrongType, expr.Range(), "a message must be a string"))
			return m
		}
		start := expr.Range().Start
		start.Column++
		start.Byte++
		t, diags := hclsyntax.ParseTemplate([]byte(v.AsString()), expr.Range().Filename, start)
		if diags.HasErrors() {
			d.diags = append(d.diags, diags...)
			return m
		}
		expr = t
	}
	var parts []hclsyntax.Expression
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		parts = e.Parts
	case *hclsyntax.TemplateWrapExpr:
		parts = []hclsyntax.Expression{e.Wrapped}
	default:
		d.diags = append(d.diags, Errorf(CodeWrongType, expr.Range(), "a message must be a string"))
		return m
	}
	for _, p := range parts {
		switch e := p.(type) {
		case *hclsyntax.LiteralValueExpr:
			if e.Val.Type() == cty.String {
				m.Parts = append(m.Parts, MessagePart{Text: e.Val.AsString(), Range: e.SrcRange})
				continue
			}
		case *hclsyntax.ScopeTraversalExpr:
			if len(e.Traversal) == 1 {
				m.Parts = append(m.Parts, MessagePart{Name: e.Traversal.RootName(), Range: e.SrcRange})
				continue
			}
		}
		d.diags = append(d.diags, WithDetail(Errorf(CodeInterpolation, p.Range(), "a message may only insert names"),
			"Insert a metric, attribute or param by name, as in \"QA failed ${qa_fails} time(s)\"."))
	}
	return m
}
