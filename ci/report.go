package ci

import (
	"encoding/json"
	"math"

	"github.com/falconer-sec/falconer/compiler/ruletest"
)

// TestReport is the predicate of the test-report attestation
// (registry.PredicateTestReport): the outcome of every rule-test case a
// release ran, and the rule coverage. It is plain JSON so that an auditor
// can read it with cosign verify-attestation and jq.
type TestReport struct {
	// Passed and Failed count the cases.
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	// Cases lists every case in the order run.
	Cases []TestCase `json:"cases"`
	// Coverage tells which rules have firing and non-firing cases.
	Coverage TestCoverage `json:"coverage"`
}

// TestCase is one case of a TestReport.
type TestCase struct {
	Name string `json:"name"`
	// File is the test file's path in the repository; Line the case's.
	File string `json:"file"`
	Line int    `json:"line"`
	// Passed reports the outcome; Failures say what went wrong.
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
	// Events is how many events the case evaluated, Alerts how many
	// alerts they raised.
	Events int `json:"events"`
	Alerts int `json:"alerts"`
}

// TestCoverage is the rule coverage of a TestReport.
type TestCoverage struct {
	// Rules is the number of loaded rules, Covered how many have both a
	// firing and a non-firing case, Percent the ratio (two decimals).
	Rules   int     `json:"rules"`
	Covered int     `json:"covered"`
	Percent float64 `json:"percent"`
	// ByRule lists every rule in load order.
	ByRule []RuleCoverage `json:"byRule"`
}

// RuleCoverage is one rule's coverage.
type RuleCoverage struct {
	Rule string `json:"rule"`
	File string `json:"file"`
	Line int    `json:"line"`
	// Firing and Silent report whether a case expects the rule to fire,
	// and one expects it to stay silent.
	Firing bool `json:"firing"`
	Silent bool `json:"silent"`
}

// NewTestReport summarises a rule-test run.
func NewTestReport(rep *ruletest.Report) *TestReport {
	tr := &TestReport{Cases: []TestCase{}, Coverage: TestCoverage{ByRule: []RuleCoverage{}}}
	for _, res := range rep.Results {
		tc := TestCase{
			Name:     res.Case.Name,
			File:     res.Case.File,
			Line:     res.Case.Line,
			Passed:   res.Passed(),
			Failures: res.Failures,
			Events:   res.Events,
			Alerts:   len(res.Alerts),
		}
		if tc.Passed {
			tr.Passed++
		} else {
			tr.Failed++
		}
		tr.Cases = append(tr.Cases, tc)
	}
	for _, c := range rep.Coverage {
		tr.Coverage.Rules++
		if c.Covered() {
			tr.Coverage.Covered++
		}
		tr.Coverage.ByRule = append(tr.Coverage.ByRule, RuleCoverage{
			Rule: c.Rule, File: c.Origin.File, Line: c.Origin.Line, Firing: c.Firing, Silent: c.Silent,
		})
	}
	tr.Coverage.Percent = math.Round(CoveragePercent(rep)*100) / 100
	return tr
}

// Predicate encodes the report as an attestation predicate.
func (r *TestReport) Predicate() (json.RawMessage, error) {
	return json.Marshal(r)
}
