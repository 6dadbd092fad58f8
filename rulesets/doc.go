// Package rulesets holds Falconer's own rule files, as data, with their
// unit tests. Each directory is a ruleset in the Falco rules language:
//
//   - default: the default ruleset (falconer_rules.yaml), loaded first;
//   - traefik: the Traefik custom rules from the Falco Helm chart
//     documentation, loaded after default.
//
// A ruleset directory holds rule files at its top level and the cases of
// `falconer test` under tests/. The package's tests compile every ruleset
// with the compiler, run its cases through the evaluator, require every
// rule to have a firing and a non-firing case, and check that the rule
// files keep to syntax Falco itself loads, so `go test ./...` fails when
// a rule breaks.
package rulesets
