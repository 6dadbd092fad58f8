// Package check resolves and checks Falco rule files as one rule set, the
// way Falco's rule loader does: it collects lists, macros and rules across
// files (appends, overrides, redefinitions), validates and compiles
// exceptions into conditions, substitutes lists, inlines macros, checks
// conditions and outputs against the field catalog, and computes the event
// types each rule can match.
//
// The input syntax trees are never modified. Every rule gets a freshly
// built condition tree, and what the checker learns about it (resolved
// fields, decoded values, transformer types) is recorded in side tables
// (see Info), the way go/types records facts about go/ast trees.
//
// Diagnostics carry the exact position of their cause: the YAML node of an
// item or key, or the byte inside a condition or output, mapped back
// through list substitution, appended text and exception expansion. Unlike
// Falco, which stops at the first error, Check reports every independent
// error, and avoids follow-on errors for one root cause.
package check
