package fields

import "strconv"

// ID identifies a field of the catalog. IDs are dense, from 0 to
// NumFields-1, in the order of data/fields.tsv; the generated constants
// (EvtType, ProcName, FdName, ...) name them.
type ID uint16

// Field returns the catalog entry of the ID. It panics if id is not below
// NumFields, like an out-of-range index.
func (id ID) Field() *Field { return fieldPtrs[id] }

// String returns the field name, such as "proc.name".
func (id ID) String() string {
	if int(id) < NumFields {
		return fieldTable[id].Name
	}
	return "ID(" + strconv.Itoa(int(id)) + ")"
}

// ArgMode says whether a field takes an argument, as in proc.aname[2] or
// evt.arg.flags.
type ArgMode uint8

// Argument modes (fields.tsv column 3).
const (
	ArgNone     ArgMode = iota // no argument allowed
	ArgRequired                // an argument must be given
	ArgOptional                // an argument may be given
)

// String returns "none", "required" or "optional".
func (m ArgMode) String() string {
	switch m {
	case ArgNone:
		return "none"
	case ArgRequired:
		return "required"
	case ArgOptional:
		return "optional"
	}
	return "ArgMode(" + strconv.Itoa(int(m)) + ")"
}

// Field is one entry of the catalog. Entries are shared: treat them as
// read-only.
type Field struct {
	ID   ID
	Name string // as written in conditions, e.g. "proc.aname"
	Type Type   // value type; TypeDyn for evt.rawarg, whose type is its argument's
	Arg  ArgMode

	// ArgIndex and ArgKey give the argument kind of plugin fields
	// (arg:index, arg:key, arg:index|key). Fields of libsinsp itself parse
	// their arguments in their own ways; see ResolveRef.
	ArgIndex, ArgKey bool

	List            bool // multi-value; only in, intersects and exists apply
	Deprecated      bool
	FilterOnly      bool // usable in conditions but not in outputs
	NoRHS           bool // cannot be compared with, or be, a right-hand side field
	NoTransformer   bool // rejects transformers such as tolower()
	Hidden          bool
	PrintOnly       bool // usable in outputs only
	TableOnly       bool // meant for table views; not listed by Falco
	SuggestedOutput bool

	// Plugin names the plugin that provides the field ("container"), or
	// is empty for fields of libsinsp itself.
	Plugin string

	Desc string // description from fields.tsv, tags removed
}

// Lookup returns the field whose name is exactly name. It does not accept
// arguments: use ResolveRef for references such as proc.aname[2] or
// evt.arg.flags.
func Lookup(name string) (*Field, bool) {
	id, ok := fieldByName[name]
	if !ok {
		return nil, false
	}
	return fieldPtrs[id], true
}

// ByID returns the field with the given ID, or false if id is not below
// NumFields.
func ByID(id ID) (*Field, bool) {
	if int(id) >= NumFields {
		return nil, false
	}
	return fieldPtrs[id], true
}

// All returns every field in ID order. The slice is the caller's; the
// fields are shared.
func All() []*Field {
	out := make([]*Field, NumFields)
	copy(out, fieldPtrs[:])
	return out
}
