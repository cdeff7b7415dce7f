package payroll

import (
	"encoding/json"
	"slices"
)

// dataPackageFile describes the export's CSV files as a Frictionless Data
// Package (Table Schema): a reader that honours it (frictionless, the
// docs' pandas and DuckDB lines) loads ids as text and amounts as
// decimals, never 000123 as 123 or 59230.12 as 59230.119999999995.
const dataPackageFile = "datapackage.json"

type dpField struct {
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Format      string         `json:"format,omitempty"`
	Description string         `json:"description,omitempty"`
	BareNumber  *bool          `json:"bareNumber,omitempty"`
	Constraints map[string]any `json:"constraints,omitempty"`
}

type dpResource struct {
	Name      string         `json:"name"`
	Path      string         `json:"path"`
	Profile   string         `json:"profile"`
	Format    string         `json:"format"`
	Mediatype string         `json:"mediatype"`
	Encoding  string         `json:"encoding"`
	Dialect   map[string]any `json:"dialect"`
	Schema    dpSchema       `json:"schema"`
}

type dpSchema struct {
	Fields        []dpField `json:"fields"`
	MissingValues []string  `json:"missingValues"`
	PrimaryKey    []string  `json:"primaryKey,omitempty"`
}

type dataPackage struct {
	Profile   string       `json:"profile"`
	Name      string       `json:"name"`
	Resources []dpResource `json:"resources"`
}

// dataPackageBytes is the data package of an export with these extra
// columns: a function of the manifest alone, so --verify rebuilds it and
// compares bytes.
func dataPackageBytes(m *Manifest) ([]byte, error) {
	bare := true
	str := func(name, desc string) dpField { return dpField{Name: name, Type: "string", Description: desc} }
	enum := func(name, desc string, values ...string) dpField {
		f := str(name, desc)
		f.Constraints = map[string]any{"enum": values}
		return f
	}
	money := func(name, desc string) dpField {
		return dpField{Name: name, Type: "number", Description: desc + " (exact decimal: load as a decimal type, never a float)", BareNumber: &bare}
	}
	date := func(name, desc string) dpField {
		return dpField{Name: name, Type: "date", Format: "%Y-%m-%d", Description: desc}
	}
	payroll := []dpField{
		str("line_id", "the line's stable id: subject, period and incentive"),
		str("run_id", "the run that wrote the export"),
		str("subject", "who is paid: an id, text (000123 stays 000123)"),
		str("period", "the period paid"),
		date("coverage_start", "the period's first day"),
		date("coverage_end", "the period's last day"),
		str("incentive", "the incentive's name"),
		str("code", "the incentive's payroll code"),
		enum("status", "the incentive's status: only earned rows are amounts to pay", "earned", "not_earned", "ineligible", "no_data"),
		money("amount", "the row's amount in the currency's minor digits; empty when no_data (needs review)"),
		str("currency", "ISO 4217 code"),
		str("policy", "the policy's name"),
		str("policy_version", "the policy's version"),
		str("policy_digest", "the policy text's digest"),
		enum("kind", "original, or adjustment in a correction", "original", "adjustment"),
		money("paid_before", "for an adjustment, what earlier exports paid on the line; empty for an original"),
	}
	for _, c := range m.ExtraColumns {
		payroll = append(payroll, str(c, "an attribute marked payroll = true, as the snapshot had it"))
	}
	importFields := func(payroll []dpField) []dpField { // importColumns' fields
		var fields []dpField
		for _, i := range importFrom {
			fields = append(fields, payroll[i])
		}
		fields = append(fields, payroll[len(payrollColumns):]...)
		return append(fields, date("pay_date", "the day the export is paid (--pay-date); empty when not given"))
	}
	csvRes := func(name, path string, fields []dpField, key []string) dpResource {
		return dpResource{Name: name, Path: path, Profile: "tabular-data-resource", Format: "csv", Mediatype: "text/csv", Encoding: "utf-8",
			Dialect: map[string]any{"delimiter": ",", "header": true, "lineTerminator": "\n"},
			Schema:  dpSchema{Fields: fields, MissingValues: []string{""}, PrimaryKey: key}}
	}
	p := dataPackage{Profile: "tabular-data-package", Name: "rubric-payroll", Resources: []dpResource{
		csvRes("payroll", payrollFile, payroll, []string{"line_id", "run_id"}),
		csvRes("totals", totalsFile, []dpField{
			str("subject", "who is paid"), str("currency", "ISO 4217 code"),
			money("amount", "what the subject is paid in the export, in that currency"),
			{Name: "rows", Type: "integer", Description: "payroll.csv rows summed"},
		}, []string{"subject", "currency"}),
		csvRes("review", reviewFile, []dpField{
			str("subject", "whose line needs review"), str("period", "the period"), str("incentive", "the incentive"),
			str("line_id", "the payroll.csv line"), str("reason", "why it is no_data"),
		}, nil),
	}}
	if m.ImportCSV != nil { // exports written before import.csv have none, and verify as they were
		p.Resources = slices.Insert(p.Resources, 2, csvRes("import", importFile, importFields(payroll), []string{"line_id"}))
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
