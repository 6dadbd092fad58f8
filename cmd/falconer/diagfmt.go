package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// diagFormats are the values --format accepts for diagnostics.
var diagFormats = []string{"text", "json", "sarif"}

// writeDiagnostics prints diags to w in the named format.
func writeDiagnostics(w io.Writer, format string, diags syntax.ErrorList) error {
	switch format {
	case "text", "":
		for _, d := range diags {
			if _, err := fmt.Fprintln(w, d.Error()); err != nil {
				return err
			}
		}
		return nil
	case "json":
		return writeJSON(w, diagnosticsJSON(diags))
	case "sarif":
		return writeJSON(w, sarifLog(diags))
	}
	return fmt.Errorf("unknown format %q", format)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// jsonDiagnostic is the stable JSON shape of one diagnostic.
type jsonDiagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

func diagnosticsJSON(diags syntax.ErrorList) []jsonDiagnostic {
	out := make([]jsonDiagnostic, 0, len(diags))
	for _, d := range diags {
		out = append(out, jsonDiagnostic{
			File:     d.Pos.File,
			Line:     d.Pos.Line,
			Col:      d.Pos.Col,
			Severity: d.Severity.String(),
			Code:     string(d.Code),
			Message:  d.Msg,
		})
	}
	return out
}

// SARIF 2.1.0, the subset code-scanning UIs ingest.
type sarif struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
	HelpURI          string       `json:"helpUri,omitempty"`
	Properties       struct {
		Falco string `json:"falcoCode,omitempty"`
	} `json:"properties"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation struct {
		URI string `json:"uri"`
	} `json:"artifactLocation"`
	Region *sarifRegion `json:"region,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

const docsURL = "https://github.com/falconer-sec/falconer/blob/main/docs/diagnostics.md"

func sarifLog(diags syntax.ErrorList) sarif {
	seen := map[syntax.Code]bool{}
	var rules []sarifRule
	results := make([]sarifResult, 0, len(diags))
	for _, d := range diags {
		if !seen[d.Code] {
			seen[d.Code] = true
			r := sarifRule{ID: string(d.Code), ShortDescription: sarifMessage{Text: string(d.Code)}, HelpURI: docsURL + "#" + string(d.Code)}
			r.Properties.Falco = d.Code.Falco()
			rules = append(rules, r)
		}
		level := "error"
		if d.Severity == syntax.SeverityWarning {
			level = "warning"
		}
		loc := sarifLocation{}
		loc.PhysicalLocation.ArtifactLocation.URI = d.Pos.File
		if d.Pos.IsValid() {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: d.Pos.Line, StartColumn: d.Pos.Col}
		}
		results = append(results, sarifResult{RuleID: string(d.Code), Level: level, Message: sarifMessage{Text: d.Msg}, Locations: []sarifLocation{loc}})
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	return sarif{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "falconer", InformationURI: "https://github.com/falconer-sec/falconer", Version: falconerVersion(), Rules: rules}},
			Results: results,
		}},
	}
}
