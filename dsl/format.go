package dsl

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns the canonical form of an HCL policy or test file:
// hclwrite's formatting (indentation, aligned "=" within a block, spacing),
// comments kept. Formatting a formatted file changes nothing. A file that
// does not parse is returned unchanged with its diagnostics.
func Format(name string, src []byte) ([]byte, hcl.Diagnostics) {
	if d := CheckNesting(name, src); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	// Single-line blocks with commas (SPEC.md's style) parse as the policy
	// reader reads them; hclwrite formats the text as written.
	checked, m := commaBlocks(src, name)
	if _, diags := hclsyntax.ParseConfig(checked, name, hcl.InitialPos); diags.HasErrors() {
		mapDiagnostics(map[string]*posMap{name: m}, diags)
		return src, diags
	}
	out := hclwrite.Format(src)
	// One newline at the end, none at the start.
	out = append(bytes.TrimRight(bytes.TrimLeft(out, "\n"), "\n"), '\n')
	return out, nil
}
