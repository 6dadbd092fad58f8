package eval

import (
	"strings"

	"github.com/falconer-sec/falconer/compiler/fields"
)

// EventCode returns the code producers use for an event name today: the
// current (not old-version, not unused) exit event of a syscall, or the
// current event of a name that only has an enter event (procexit). It
// returns false for names that have no such event.
func EventCode(name string) (uint16, bool) {
	codes, ok := fields.EventTypeCodes(name)
	if !ok {
		return 0, false
	}
	best, found := uint16(0), false
	bestExit := false
	for _, c := range codes {
		if fields.EventName(c) != name {
			continue // the generic syscall event
		}
		f := fields.EventFlagsOf(c)
		if f.Has(fields.EventOldVersion) || f.Has(fields.EventUnused) {
			continue
		}
		exit := !c.IsEnter()
		if !found || (exit && !bestExit) || (exit == bestExit && uint16(c) > best) {
			best, found, bestExit = uint16(c), true, exit
		}
	}
	return best, found
}

// EventMeta returns the name and evt.category of an event code, as the
// evaluator's Event carries them ("openat", "file").
func EventMeta(code uint16) (name, category string) {
	c := fields.EventCode(code)
	name = fields.EventName(c)
	cn := fields.EventCategory(c).ClassName()
	category = strings.ToLower(strings.TrimPrefix(cn, "EC_"))
	return name, category
}
