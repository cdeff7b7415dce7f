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
	if _, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
		return src, diags
	}
	out := hclwrite.Format(src)
	// One newline at the end, none at the start.
	out = append(bytes.TrimRight(bytes.TrimLeft(out, "\n"), "\n"), '\n')
	return out, nil
}
