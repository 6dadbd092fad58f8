package syntax

// This file defines what the YAML loader produces: one File per rule file,
// holding its items in order with the position of every key and value.
//
// The loader decodes each item the way Falco's rule reader does (scalars
// with yaml-cpp rules, the reader's structural errors), but it does not
// resolve anything: appends, overrides, references and conditions are the
// checker's business.

// File is one loaded rule file.
type File struct {
	Name  string // the name diagnostics use
	Items []Item // top-level items in file order, across all YAML documents
}

// Item is a top-level item: *EngineVersionItem, *PluginVersionsItem,
// *ListItem, *MacroItem, *RuleItem or *UnknownItem.
type Item interface {
	Pos() Pos // position of the item's map
	item()
}

// ScalarStyle records how a scalar was written.
type ScalarStyle uint8

// Scalar styles.
const (
	StylePlain ScalarStyle = iota
	StyleSingleQuoted
	StyleDoubleQuoted
	StyleLiteral // |
	StyleFolded  // >
)

// Scalar is a decoded scalar value with its position. Set is false when
// the key was absent. Null is true for an explicit null (~, null, or a key
// with no value).
type Scalar struct {
	Pos   Pos    // position of the value's first byte (the indicator for block scalars)
	Value string // decoded text
	Style ScalarStyle
	Set   bool
	Null  bool

	// offsets maps byte offsets of Value back to positions in the file;
	// see Scalar.PosAt. nil means Value is laid out on one line from Pos.
	offsets []Pos

	// segs is the compact form of offsets the loader installs: runs of
	// Value bytes that sit next to each other in the file, sorted by
	// their first byte. Used when offsets is nil.
	segs []offsetSeg

	// inexact is set when the loader could not map Value back to the
	// file byte by byte; PosAt then returns the start of the text.
	inexact bool
}

// PosAt returns the file position of byte off of s.Value. For quoted and
// block scalars, where decoding moves text around (escapes, folded line
// breaks, indentation), the loader records a map so that a condition's
// column points into the file exactly.
//
// If the loader could not map the text exactly (see Exact), PosAt returns
// the position of the first byte of the text for every off.
func (s Scalar) PosAt(off int) Pos {
	if off < 0 {
		off = 0
	}
	if s.offsets == nil && s.segs != nil {
		return s.segPos(off)
	}
	if s.inexact {
		off = 0
	}
	if s.offsets != nil {
		if off < len(s.offsets) {
			return s.offsets[off]
		}
		if n := len(s.offsets); n > 0 {
			p := s.offsets[n-1]
			p.Col += off - (n - 1)
			p.Offset += off - (n - 1)
			return p
		}
	}
	p := s.Pos
	if s.Style == StyleSingleQuoted || s.Style == StyleDoubleQuoted {
		p.Col++
		p.Offset++
	}
	p.Col += off
	p.Offset += off
	return p
}

// SetOffsets installs the offset map used by PosAt; the loader calls it.
// offsets[i] is the file position of byte i of Value.
func (s *Scalar) SetOffsets(offsets []Pos) { s.offsets = offsets }

// Exact reports whether PosAt maps every byte of Value to the exact place
// it was read from. It is false only for the rare scalar whose layout the
// loader could not reconstruct (for example a file that is not UTF-8);
// PosAt then points at the start of the text.
func (s Scalar) Exact() bool { return !s.inexact || s.offsets != nil }

// Bool is a decoded boolean key (yaml-cpp rules: y/n, yes/no, true/false,
// on/off in lower, UPPER or Capitalized case, quoted or not).
type Bool struct {
	Pos   Pos
	Value bool
	Set   bool
}

// Override is one entry of an item's "override:" map, e.g. condition: append.
type Override struct {
	Key    string
	KeyPos Pos
	Op     string // "append", "replace", or whatever was written (validated by the checker)
	OpPos  Pos
}

// Overrides is an item's "override:" map, in file order.
type Overrides struct {
	Pos     Pos
	Set     bool
	Entries []Override
}

// Op returns the operation for key, or "".
func (o Overrides) Op(key string) string {
	for _, e := range o.Entries {
		if e.Key == key {
			return e.Op
		}
	}
	return ""
}

// Keys records every key present in an item map, in file order, with the
// position of the key. Duplicate keys keep their first occurrence, as
// yaml-cpp does.
type Keys []Key

// Key is one key of an item map.
type Key struct {
	Name string
	Pos  Pos
}

// Has reports whether the map had key name.
func (ks Keys) Has(name string) bool {
	_, ok := ks.Lookup(name)
	return ok
}

// Lookup returns the position of key name.
func (ks Keys) Lookup(name string) (Pos, bool) {
	for _, k := range ks {
		if k.Name == name {
			return k.Pos, true
		}
	}
	return Pos{}, false
}

// EngineVersionItem is "- required_engine_version: V".
type EngineVersionItem struct {
	ItemPos Pos
	Version Scalar // raw text; an unsigned integer N means 0.N.0
}

// PluginVersionsItem is "- required_plugin_versions: [...]".
type PluginVersionsItem struct {
	ItemPos Pos
	Entries []PluginRequirement
}

// PluginRequirement is one required plugin, with its alternatives.
type PluginRequirement struct {
	Pos          Pos
	Name         Scalar
	Version      Scalar
	Alternatives []PluginRequirement // never nested further
}

// ListItem is "- list: NAME".
type ListItem struct {
	ItemPos  Pos
	Keys     Keys
	Name     Scalar
	Items    []Scalar
	ItemsSet bool // the items key was present
	ItemsPos Pos  // position of the items value
	Append   Bool
	Override Overrides
}

// MacroItem is "- macro: NAME".
type MacroItem struct {
	ItemPos   Pos
	Keys      Keys
	Name      Scalar
	Condition Scalar
	Append    Bool
	Override  Overrides
}

// RuleItem is "- rule: NAME". Which keys were present matters (for
// redefinition, standalone enabled, append and override), so Keys lists
// them.
type RuleItem struct {
	ItemPos Pos
	Keys    Keys

	Name      Scalar
	Condition Scalar
	Output    Scalar
	Desc      Scalar
	Priority  Scalar
	Source    Scalar

	Enabled             Bool
	WarnEvttypes        Bool
	SkipIfUnknownFilter Bool
	Capture             Bool
	CaptureDuration     Scalar // decoded as uint32 by the loader; kept as text

	Tags    []Scalar
	TagsSet bool
	TagsPos Pos

	Exceptions    []Exception
	ExceptionsSet bool
	ExceptionsPos Pos

	Append   Bool
	Override Overrides
}

// Exception is one entry of a rule's exceptions list.
type Exception struct {
	Pos  Pos
	Keys Keys
	Name Scalar

	// Fields and Comps are either one scalar (FieldsList false) or a
	// list of scalars.
	Fields     []Scalar
	FieldsList bool
	FieldsSet  bool
	Comps      []Scalar
	CompsList  bool
	CompsSet   bool

	Values    []ExceptionValue
	ValuesSet bool
	ValuesPos Pos
}

// ExceptionValue is one entry of an exception's values: a scalar (for a
// scalar fields key) or a tuple with one element per field.
type ExceptionValue struct {
	Pos    Pos
	IsList bool
	Scalar Scalar          // when !IsList
	Tuple  []ExceptionElem // when IsList
}

// ExceptionElem is one element of a value tuple: a scalar or a list of
// scalars (for in, intersects, pmatch and modifiers).
type ExceptionElem struct {
	Pos    Pos
	IsList bool
	Scalar Scalar
	List   []Scalar
}

// UnknownItem is a top-level map with none of the known keys.
type UnknownItem struct {
	ItemPos Pos
	Keys    Keys
}

func (x *EngineVersionItem) Pos() Pos  { return x.ItemPos }
func (x *PluginVersionsItem) Pos() Pos { return x.ItemPos }
func (x *ListItem) Pos() Pos           { return x.ItemPos }
func (x *MacroItem) Pos() Pos          { return x.ItemPos }
func (x *RuleItem) Pos() Pos           { return x.ItemPos }
func (x *UnknownItem) Pos() Pos        { return x.ItemPos }

func (*EngineVersionItem) item()  {}
func (*PluginVersionsItem) item() {}
func (*ListItem) item()           {}
func (*MacroItem) item()          {}
func (*RuleItem) item()           {}
func (*UnknownItem) item()        {}
