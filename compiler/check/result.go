package check

import (
	"net/netip"
	"strings"

	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/syntax"
)

// Result is a resolved and checked rule set: what the rule files define
// once every append, override and redefinition is applied.
type Result struct {
	// Rules holds every rule in final position order (a redefined rule
	// keeps the position of its first definition), enabled or not.
	// Rules that cannot be loaded (unknown source, unknown filter with
	// skip-if-unknown-filter) are kept with Skipped set.
	Rules []*Rule
	// Macros holds every macro in definition order.
	Macros []*Macro
	// Lists holds every list in definition order.
	Lists []*List
	// RequiredEngineVersion is the highest required_engine_version of
	// all files, as "x.y.z", or "" when no file states one.
	RequiredEngineVersion string
	// PluginRequirements lists every required_plugin_versions entry in
	// file order.
	PluginRequirements []PluginRequirement
}

// Rule looks up a rule by name, or returns nil.
func (r *Result) Rule(name string) *Rule {
	for _, x := range r.Rules {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// Macro looks up a macro by name, or returns nil.
func (r *Result) Macro(name string) *Macro {
	for _, x := range r.Macros {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// List looks up a list by name, or returns nil.
func (r *Result) List(name string) *List {
	for _, x := range r.Lists {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// PluginRequirement is one entry of required_plugin_versions: one of the
// alternatives must be loaded with a compatible version (same major,
// greater or equal).
type PluginRequirement struct {
	Pos          syntax.Pos
	Alternatives []PluginVersion // the named plugin first, then its alternatives
}

// PluginVersion is a plugin name and a required "x.y.z" version.
type PluginVersion struct {
	Name    string
	Version string
}

// List is a compiled list: its items after one level of nested list
// expansion.
type List struct {
	Name  string
	Pos   syntax.Pos // position of the (last) defining item
	Items []string
	Used  bool // substituted into a condition or expanded in another list
}

// Macro is a compiled macro.
type Macro struct {
	Name string
	Pos  syntax.Pos // position of the (last) defining item
	// Condition is the condition text after appends, before list
	// substitution.
	Condition string
	// Expr is the parsed condition with lists substituted and visible
	// macros inlined; nil when the macro does not compile.
	Expr syntax.Expr
	Used bool // inlined into a rule or another macro
}

// Rule is a resolved rule.
type Rule struct {
	Name     string
	Pos      syntax.Pos // position of the defining item
	Desc     string
	Priority Priority
	Source   string
	Tags     []string // sorted, without duplicates
	Enabled  bool

	// Skipped is non-empty when the rule is not loadable and must not be
	// evaluated: its source is unknown, or an unknown field or event type
	// dropped it under skip-if-unknown-filter. It holds the reason.
	Skipped string

	// Output is the final output format (appends applied, trimmed,
	// %container.info removed); OutputTokens is its parsed form.
	Output       string
	OutputTokens []OutputToken

	// ConditionText is the rule's condition text as collected: appends
	// and overrides applied, before exceptions are added and lists
	// substituted.
	ConditionText string
	// Condition is the final condition tree: exceptions applied, lists
	// substituted, macros inlined. Nodes that come from a macro carry
	// the macro's positions. Nil for skipped rules and rules that do not
	// compile.
	Condition syntax.Expr

	// EventTypes is the set of event codes the condition can match
	// (syscall source only); rules are indexed by it.
	EventTypes fields.EventSet

	Capture             bool
	CaptureDuration     uint32
	WarnEvttypes        bool
	SkipIfUnknownFilter bool

	// ExceptionFields lists the fields used by the rule's exceptions,
	// sorted.
	ExceptionFields []string

	// Info records what the checker resolved in Condition and in the
	// output tokens.
	Info *Info
}

// OutputToken is one piece of a rule output: literal text, or a field or
// transformer to print.
type OutputToken struct {
	Pos syntax.Pos // position of the text, or of the '%' of a field token
	// Text is the literal text when Operand is nil. For a field token it
	// is the token as written after '%' and the width, e.g. "proc.name"
	// or "tolower(proc.name)".
	Text string
	// Name is the key Falco uses for the value of this token in
	// output_fields: the field with its argument as Falco prints it.
	Name  string
	Width int // %Nfield pads or truncates the value to N bytes; 0 if not given
	// Operand is the parsed token: a *syntax.FieldRef or a
	// *syntax.Transformer; nil for literal text.
	Operand syntax.Operand
}

// IsField reports whether t is a field token rather than literal text.
func (t OutputToken) IsField() bool { return t.Operand != nil }

// Info holds what the checker resolved in one rule, keyed by the nodes of
// the rule's condition tree and output tokens.
type Info struct {
	// Fields maps every field reference (left-hand sides, val()
	// arguments, transformer arguments, output tokens) to the catalog
	// field and parsed argument.
	Fields map[*syntax.FieldRef]FieldInfo
	// Checks maps every check to its operands' types and decoded values.
	Checks map[*syntax.CheckExpr]*CheckInfo
	// Transformers maps every transformer application to its types.
	Transformers map[*syntax.Transformer]*TransformerInfo
}

func newInfo() *Info {
	return &Info{
		Fields:       map[*syntax.FieldRef]FieldInfo{},
		Checks:       map[*syntax.CheckExpr]*CheckInfo{},
		Transformers: map[*syntax.Transformer]*TransformerInfo{},
	}
}

// FieldInfo is a resolved field reference.
type FieldInfo struct {
	Field *fields.Field
	Arg   fields.Arg
}

// ValueType is the type of a field or transformer result.
type ValueType struct {
	Type fields.Type
	List bool // a multi-value field (or a transformer keeping list-ness)
}

// CheckInfo is what the checker knows about one check.
type CheckInfo struct {
	// Left is the type of the left-hand side after transformers.
	Left ValueType
	// Right is the type of a right-hand field or transformer; meaningful
	// only when RightIsField.
	Right        ValueType
	RightIsField bool
	// Values holds the decoded right-hand constants in source order (one
	// for scalar operators, any number for lists).
	Values []Value
}

// Value is a decoded right-hand constant. Text is always set; the other
// fields are set according to the left-hand type and the operator.
type Value struct {
	Pos  syntax.Pos
	Text string // the value as written, escapes decoded

	Int    int64   // signed numeric types
	Uint   uint64  // unsigned numeric types, ports, booleans (0/1)
	Float  float64 // DOUBLE
	Bool   bool    // BOOL
	Addr   netip.Addr
	Prefix netip.Prefix // IPNET (a plain address is a full-length prefix)
	Bytes  []byte       // bcontains/bstartswith: the decoded hex bytes
	// EventCodes is set for evt.type and syscall.type values: the event
	// codes the name stands for.
	EventCodes []fields.EventCode
}

// TransformerInfo records the argument and result types of a transformer
// application.
type TransformerInfo struct {
	Args   []ValueType
	Result ValueType
}

// Priority is a rule priority, Emergency (most severe) to Debug.
type Priority int

// The priorities, most severe first.
const (
	PriorityEmergency Priority = iota
	PriorityAlert
	PriorityCritical
	PriorityError
	PriorityWarning
	PriorityNotice
	PriorityInformational
	PriorityDebug
)

var priorityNames = [...]string{
	"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
}

// String returns Falco's spelling of p, e.g. "Warning" or "Informational".
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return "Unknown"
	}
	return priorityNames[p]
}

// ParsePriority parses a priority name the way Falco does: the match is
// case-insensitive, and "info" is accepted for Informational.
func ParsePriority(s string) (Priority, bool) {
	for i, n := range priorityNames {
		if strings.EqualFold(s, n) {
			return Priority(i), true
		}
	}
	if strings.EqualFold(s, "info") {
		return PriorityInformational, true
	}
	return 0, false
}
