package fields

import (
	"iter"
	"math/bits"
	"strings"
)

// EventSet is a set of event codes, one bit per code. The zero value is
// the empty set; sets are values and compare with ==.
type EventSet [(NumEventCodes + 63) / 64]uint64

// lastWordMask has the bits of the last word that stand for valid codes.
const lastWordMask = ^uint64(0) >> ((64 - NumEventCodes%64) % 64)

// AllEvents returns the set of every code of the event table.
func AllEvents() EventSet {
	var s EventSet
	for i := range s {
		s[i] = ^uint64(0)
	}
	s[len(s)-1] &= lastWordMask
	return s
}

// EventSetOf returns the set holding the given codes; codes outside the
// table are ignored.
func EventSetOf(codes ...EventCode) EventSet {
	var s EventSet
	for _, c := range codes {
		s.Add(c)
	}
	return s
}

// Add puts c in the set. Codes outside the table are ignored.
func (s *EventSet) Add(c EventCode) {
	if c < NumEventCodes {
		s[c/64] |= 1 << (c % 64)
	}
}

// Remove takes c out of the set.
func (s *EventSet) Remove(c EventCode) {
	if c < NumEventCodes {
		s[c/64] &^= 1 << (c % 64)
	}
}

// Has reports whether c is in the set.
func (s EventSet) Has(c EventCode) bool {
	return c < NumEventCodes && s[c/64]&(1<<(c%64)) != 0
}

// And returns the intersection of s and o.
func (s EventSet) And(o EventSet) EventSet {
	for i := range s {
		s[i] &= o[i]
	}
	return s
}

// Or returns the union of s and o.
func (s EventSet) Or(o EventSet) EventSet {
	for i := range s {
		s[i] |= o[i]
	}
	return s
}

// AndNot returns the codes of s that are not in o.
func (s EventSet) AndNot(o EventSet) EventSet {
	for i := range s {
		s[i] &^= o[i]
	}
	return s
}

// Not returns the complement of s within the event table.
func (s EventSet) Not() EventSet {
	for i := range s {
		s[i] = ^s[i]
	}
	s[len(s)-1] &= lastWordMask
	return s
}

// Len returns the number of codes in the set.
func (s EventSet) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// IsEmpty reports whether the set has no codes.
func (s EventSet) IsEmpty() bool { return s == EventSet{} }

// IsFull reports whether the set holds every code of the table.
func (s EventSet) IsFull() bool { return s == AllEvents() }

// All returns an iterator over the codes of the set, in increasing order.
func (s EventSet) All() iter.Seq[EventCode] {
	return func(yield func(EventCode) bool) {
		for i, w := range s {
			for w != 0 {
				b := bits.TrailingZeros64(w)
				if !yield(EventCode(i*64 + b)) {
					return
				}
				w &= w - 1
			}
		}
	}
}

// Codes returns the codes of the set in increasing order.
func (s EventSet) Codes() []EventCode {
	out := make([]EventCode, 0, s.Len())
	for c := range s.All() {
		out = append(out, c)
	}
	return out
}

// Names returns the distinct event names of the codes in the set, in code
// order of first appearance.
func (s EventSet) Names() []string {
	var out []string
	seen := map[string]bool{}
	for c := range s.All() {
		if n := EventName(c); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// String lists the PPME names of the set, such as
// "{PPME_SYSCALL_OPEN_E, PPME_SYSCALL_OPEN_X}".
func (s EventSet) String() string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for c := range s.All() {
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(c.String())
	}
	b.WriteByte('}')
	return b.String()
}
