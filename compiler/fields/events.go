package fields

import (
	"sort"
	"strconv"
	"strings"
)

// EventCode is a numeric event code of the driver's event table (a PPME_*
// value), below NumEventCodes. Even codes are enter events, odd codes exit
// events.
type EventCode uint16

// String returns the PPME name of the code, such as "PPME_SYSCALL_OPEN_X".
func (c EventCode) String() string {
	if c < NumEventCodes {
		return eventTable[c].ppme
	}
	return "EventCode(" + strconv.Itoa(int(c)) + ")"
}

// IsEnter reports whether c is an enter event (the driver's PPME_IS_ENTER).
func (c EventCode) IsEnter() bool { return c&1 == 0 }

// eventInfo is one generated row of the event table.
type eventInfo struct {
	ppme     string
	name     string
	category Category
	flags    EventFlags
	param    uint16 // index of the first parameter in eventParams
	nparams  uint8
}

// Param is one event parameter: its name (as used in evt.arg.NAME) and
// type.
type Param struct {
	Name string
	Type Type
}

// EventName returns the event name of a code as evt.type shows it, such
// as "open" or "procexit"; unused table slots are named "NA". It returns
// "" for a code outside the table. The generic events (PPME_GENERIC_E/X)
// are named "syscall": evt.type reports the actual syscall for them at
// run time.
func EventName(c EventCode) string {
	if c >= NumEventCodes {
		return ""
	}
	return eventTable[c].name
}

// EventCategory returns the category bits of a code, or 0 for a code
// outside the table.
func EventCategory(c EventCode) Category {
	if c >= NumEventCodes {
		return 0
	}
	return eventTable[c].category
}

// EventFlagsOf returns the flags of a code, or 0 for a code outside the
// table.
func EventFlagsOf(c EventCode) EventFlags {
	if c >= NumEventCodes {
		return 0
	}
	return eventTable[c].flags
}

// EventParams returns the parameters of a code, in wire order, or nil for
// a code outside the table. The slice is shared: do not modify it.
func EventParams(c EventCode) []Param {
	if c >= NumEventCodes {
		return nil
	}
	e := &eventTable[c]
	lo, hi := int(e.param), int(e.param)+int(e.nparams)
	return eventParams[lo:hi:hi]
}

// EventParamIndex returns the position of the parameter called name in
// the parameters of code c, or -1 if the event has no such parameter.
func EventParamIndex(c EventCode, name string) int {
	for i, p := range EventParams(c) {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// LookupEventCode returns the code with the given PPME name, such as
// "PPME_SYSCALL_EXECVE_19_X". It scans the table; do not use it on a hot
// path.
func LookupEventCode(ppme string) (EventCode, bool) {
	for i := range eventTable {
		if eventTable[i].ppme == ppme {
			return EventCode(i), true
		}
	}
	return 0, false
}

// eventTableHasName reports whether some code of the event table has the
// event name (evt.type.is.NAME accepts exactly these).
func eventTableHasName(name string) bool {
	for i := range eventTable {
		if eventTable[i].name == name {
			return true
		}
	}
	return false
}

// longestEventArg returns the longest event parameter name that is a
// prefix of s, with the type of its first occurrence in the event table,
// as libsinsp resolves evt.arg.NAME and evt.rawarg.NAME.
func longestEventArg(s string) (Param, bool) {
	for n := len(s); n > 0; n-- {
		p := s[:n]
		i := sort.Search(len(eventArgs), func(i int) bool { return eventArgs[i].Name >= p })
		if i < len(eventArgs) && eventArgs[i].Name == p {
			return eventArgs[i], true
		}
	}
	return Param{}, false
}

// eventTypeInfo is one generated evt.type name.
type eventTypeInfo struct {
	name    string
	inTable bool // an event-table name
	syscall bool // a syscall (ppm_sc) name
	code    uint16
	ncodes  uint8
}

func findEventType(name string) (*eventTypeInfo, bool) {
	i := sort.Search(numEventTypes, func(i int) bool { return eventTypes[i].name >= name })
	if i < numEventTypes && eventTypes[i].name == name {
		return &eventTypes[i], true
	}
	return nil, false
}

// IsEventType reports whether name is a valid evt.type (or syscall.type)
// value: an event-table name or a syscall name (data/evttypes.txt).
// Async-event names declared by plugins are not known here.
func IsEventType(name string) bool {
	_, ok := findEventType(name)
	return ok
}

// EventTypeCodes returns, in increasing order, every code that the
// evt.type value name matches: all the codes of the event table with that
// name (enter and exit events, and their old versions), or the generic
// syscall codes for a syscall without a dedicated event. It returns false
// for a name that is not a valid evt.type value.
func EventTypeCodes(name string) ([]EventCode, bool) {
	t, ok := findEventType(name)
	if !ok {
		return nil, false
	}
	out := make([]EventCode, t.ncodes)
	copy(out, eventTypeCodes[t.code:])
	return out, true
}

// EventTypeSet is EventTypeCodes as a set.
func EventTypeSet(name string) (EventSet, bool) {
	var s EventSet
	t, ok := findEventType(name)
	if !ok {
		return s, false
	}
	for _, c := range eventTypeCodes[t.code : int(t.code)+int(t.ncodes)] {
		s.Add(c)
	}
	return s, true
}

// EventTypes returns every valid evt.type value, sorted.
func EventTypes() []string {
	out := make([]string, numEventTypes)
	for i := range eventTypes {
		out[i] = eventTypes[i].name
	}
	return out
}

// Category holds the category bits of an event: one class (such as
// EC_FILE) plus source bits (EC_SYSCALL, EC_TRACEPOINT, ...).
type Category uint16

// Source bits of a Category.
const (
	CategorySyscall    Category = 0x200
	CategoryTracepoint Category = 0x400
	CategoryPlugin     Category = 0x800
	CategoryMetaEvent  Category = 0x1000
	CategoryIter       Category = 0x2000

	categorySources = CategorySyscall | CategoryTracepoint | CategoryPlugin | CategoryMetaEvent | CategoryIter
)

// categoryClassName returns the driver's name of a category class.
func categoryClassName(c Category) (string, bool) {
	switch c {
	case 0:
		return "EC_UNKNOWN", true
	case 1:
		return "EC_OTHER", true
	case 2:
		return "EC_FILE", true
	case 3:
		return "EC_NET", true
	case 4:
		return "EC_IPC", true
	case 5:
		return "EC_MEMORY", true
	case 6:
		return "EC_PROCESS", true
	case 7:
		return "EC_SLEEP", true
	case 8:
		return "EC_SYSTEM", true
	case 9:
		return "EC_SIGNAL", true
	case 10:
		return "EC_USER", true
	case 11:
		return "EC_TIME", true
	case 12:
		return "EC_PROCESSING", true
	case 32:
		return "EC_IO_READ", true
	case 33:
		return "EC_IO_WRITE", true
	case 34:
		return "EC_IO_OTHER", true
	case 64:
		return "EC_WAIT", true
	case 128:
		return "EC_SCHEDULER", true
	case 256:
		return "EC_INTERNAL", true
	}
	return "", false
}

var categorySourceNames = []struct {
	bit  Category
	name string
}{
	{CategorySyscall, "EC_SYSCALL"},
	{CategoryTracepoint, "EC_TRACEPOINT"},
	{CategoryPlugin, "EC_PLUGIN"},
	{CategoryMetaEvent, "EC_METAEVENT"},
	{CategoryIter, "EC_ITER"},
}

// Class returns the category without its source bits, such as 2 (EC_FILE).
func (c Category) Class() Category { return c &^ categorySources }

// ClassName returns the driver's name of the class, such as "EC_FILE" or
// "EC_IO_READ".
func (c Category) ClassName() string {
	if n, ok := categoryClassName(c.Class()); ok {
		return n
	}
	return "EC_CLASS(" + strconv.Itoa(int(c.Class())) + ")"
}

// Names returns the class name followed by the names of the source bits
// other than EC_SYSCALL, the way evttypes-detail.tsv lists categories:
// [EC_FILE] for a file syscall, [EC_PROCESS EC_TRACEPOINT] for procexit.
func (c Category) Names() []string {
	out := []string{c.ClassName()}
	for _, s := range categorySourceNames[1:] {
		if c&s.bit != 0 {
			out = append(out, s.name)
		}
	}
	return out
}

// String returns every source bit and the class joined by "|", such as
// "EC_SYSCALL|EC_FILE".
func (c Category) String() string {
	var parts []string
	for _, s := range categorySourceNames {
		if c&s.bit != 0 {
			parts = append(parts, s.name)
		}
	}
	return strings.Join(append(parts, c.ClassName()), "|")
}

// EventFlags holds the flags of an event-table entry (EF_*).
type EventFlags uint32

// Event flags of the driver's event table.
const (
	EventCreatesFD        EventFlags = 1 << 0
	EventDestroysFD       EventFlags = 1 << 1
	EventUsesFD           EventFlags = 1 << 2
	EventReadsFromFD      EventFlags = 1 << 3
	EventWritesToFD       EventFlags = 1 << 4
	EventModifiesState    EventFlags = 1 << 5
	EventUnused           EventFlags = 1 << 6
	EventWaits            EventFlags = 1 << 7
	EventSkipParseReset   EventFlags = 1 << 8
	EventOldVersion       EventFlags = 1 << 9
	EventLargePayload     EventFlags = 1 << 11
	EventConverterManaged EventFlags = 1 << 12
)

// Has reports whether every flag of mask is set in f.
func (f EventFlags) Has(mask EventFlags) bool { return f&mask == mask }
