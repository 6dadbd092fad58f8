// Package fields is the catalog of the syscall event source: every field a
// Falco condition or output may name (with its type, argument kind and
// flags), the operators each type supports, and the driver's event table
// (event codes, evt.type names, parameters).
//
// The tables are generated from the sources in data/ (fields.tsv,
// evttypes.txt, evttypes-detail.tsv and scap-event-table.tsv) and committed;
// run go generate after changing a source. Field IDs follow the order of
// fields.tsv, so they change when that file does: compiled rulesets record
// the catalog they were built against.
//
// Lookups take a name as written in a condition. ResolveRef applies
// libsinsp's rules for field references (longest matching field name,
// dotted and bracket arguments) and reports Falco's own error texts, so the
// checker's diagnostics read like Falco's. CheckOperator answers which
// comparison operators a field's type accepts.
//
// Everything here is read-only and safe for concurrent use.
package fields

//go:generate go run ./internal/fieldsgen
