// Package ir defines the compiled ruleset: every enabled rule with its
// resolved condition tree, pre-parsed output template, priority, tags,
// source, origin, event-type index, and the syscall set the kernel probe
// must capture.
//
// A Program is pure data. It carries no parser: agents load it with Decode
// and hand it to package eval. Its encoding (see Encode) is versioned and
// deterministic, so the same rule files always give the same bytes and the
// same digest.
package ir

// FormatVersion is the version of the encoding written by Encode. Decode
// rejects other versions with ErrVersion.
const FormatVersion = 1

// MediaType is the OCI media type of an encoded Program.
const MediaType = "application/vnd.falconer.ruleset.v1+json"

// Program is a compiled ruleset.
type Program struct {
	// Format is always FormatVersion in a decoded program.
	Format int `json:"format"`
	// Compiler names the compiler that produced the program
	// ("falconer devel"); it is informational.
	Compiler string `json:"compiler,omitempty"`
	// RequiredEngineVersion is the highest required_engine_version of
	// the rule files, "" if none.
	RequiredEngineVersion string `json:"required_engine_version,omitempty"`
	// PluginRequirements lists required_plugin_versions entries.
	PluginRequirements []PluginRequirement `json:"plugin_requirements,omitempty"`
	// Sources lists the rule files the program was compiled from, in
	// load order, with the SHA-256 of their contents.
	Sources []Source `json:"sources"`
	// Rules holds every enabled, loadable rule in Falco's order.
	Rules []Rule `json:"rules"`
	// Disabled names the rules that are defined but disabled, sorted, so
	// that a diff can tell a disabled rule from a removed one.
	Disabled []string `json:"disabled,omitempty"`
	// Syscalls is the sorted set of syscall names the kernel probe must
	// capture: the rules' own plus those the state engine needs.
	Syscalls []string `json:"syscalls"`
}

// PluginRequirement is one entry of required_plugin_versions.
type PluginRequirement struct {
	Name         string              `json:"name"`
	Version      string              `json:"version"`
	Alternatives []PluginRequirement `json:"alternatives,omitempty"`
}

// Source is one input rule file.
type Source struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Rule is one compiled rule.
type Rule struct {
	Name     string   `json:"name"`
	Desc     string   `json:"desc,omitempty"`
	Priority Priority `json:"priority"`
	Source   string   `json:"source"`
	Tags     []string `json:"tags,omitempty"`
	// Origin is where the rule was (first) defined.
	Origin Origin `json:"origin"`
	// Output is the output template, pre-parsed.
	Output []Token `json:"output"`
	// Condition is the resolved condition: lists substituted, macros
	// inlined, exceptions applied.
	Condition *Expr `json:"condition"`
	// EventCodes is the sorted set of event codes the rule can match,
	// computed statically as Falco does. AllEvents means no restriction.
	EventCodes []uint16 `json:"event_codes,omitempty"`
	AllEvents  bool     `json:"all_events,omitempty"`
	// Capture and CaptureDuration are Falco's capture-on-alert settings.
	Capture         bool   `json:"capture,omitempty"`
	CaptureDuration uint32 `json:"capture_duration,omitempty"`
}

// Origin is a source position.
type Origin struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// Priority is a rule priority, Emergency (0) to Debug (7), as in Falco.
type Priority int

// The priorities.
const (
	Emergency Priority = iota
	Alert
	Critical
	Error
	Warning
	Notice
	Informational
	Debug
)

var priorityNames = [...]string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// String returns Falco's spelling of p ("Warning", "Informational").
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return "Unknown"
	}
	return priorityNames[p]
}

// Valid reports whether p is one of the eight priorities.
func (p Priority) Valid() bool { return p >= Emergency && p <= Debug }

// Token is one piece of an output template: literal text, or a field to
// render (optionally padded or truncated to Width).
type Token struct {
	Text  string   `json:"text,omitempty"`
	Field *Operand `json:"field,omitempty"`
	Width int      `json:"width,omitempty"`
}

// ExprKind tells what an Expr is.
type ExprKind string

// Expression kinds.
const (
	KindAnd   ExprKind = "and"
	KindOr    ExprKind = "or"
	KindNot   ExprKind = "not"
	KindCheck ExprKind = "check"
)

// Expr is a node of a condition tree.
type Expr struct {
	Kind ExprKind `json:"kind"`
	// Args are the operands of and/or (two or more) and not (one).
	Args []*Expr `json:"args,omitempty"`
	// Check is set for KindCheck.
	Check *Check `json:"check,omitempty"`
}

// Check is a field comparison.
type Check struct {
	Left Operand `json:"left"`
	// Op is the operator: = != < <= > >= contains icontains bcontains
	// startswith bstartswith endswith glob iglob regex in intersects
	// pmatch exists. "==" is normalised to "=".
	Op string `json:"op"`
	// Modifier is "", "oneof", "anyof" or "allof".
	Modifier string `json:"modifier,omitempty"`
	// Values are the literal right-hand values (one for scalar
	// operators, the set for list operators). Empty for exists and for
	// field comparisons.
	Values []string `json:"values,omitempty"`
	// Right is set for a field-to-field comparison (val() or a
	// transformer on the right).
	Right *Operand `json:"right,omitempty"`
}

// Operand is a field reference, possibly wrapped in transformers.
type Operand struct {
	// Field is the catalog name of the field ("proc.aname",
	// "evt.arg"), set when Transformer is "".
	Field string `json:"field,omitempty"`
	// Arg is the field argument: "2" for proc.aname[2], "flags" for
	// evt.arg.flags, "HOME" for proc.env[HOME].
	Arg    string `json:"arg,omitempty"`
	HasArg bool   `json:"has_arg,omitempty"`
	// Transformer names a transformer (tolower, toupper, b64, basename,
	// len, join, concat, getopt) applied to Args; "val" is not kept, it
	// only marks a field on the right-hand side.
	Transformer string     `json:"transformer,omitempty"`
	Args        []*Operand `json:"args,omitempty"`
	// Literal is a string argument of a transformer (join's separator,
	// getopt's option string).
	Literal   string `json:"literal,omitempty"`
	IsLiteral bool   `json:"is_literal,omitempty"`
	// IsList marks a parenthesised list argument of join.
	IsList bool `json:"is_list,omitempty"`
}
