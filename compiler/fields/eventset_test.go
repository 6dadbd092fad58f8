package fields

import (
	"slices"
	"testing"
)

func TestEventSet(t *testing.T) {
	open, _ := EventTypeSet("open")
	openat, _ := EventTypeSet("openat")
	files := open.Or(openat)

	if got := files.Len(); got != 6 {
		t.Errorf("open|openat has %d codes, want 6", got)
	}
	if !files.Has(2) || !files.Has(3) || files.Has(4) || files.Has(NumEventCodes) {
		t.Errorf("Has disagrees with %v", files)
	}
	if got := files.And(open); got != open {
		t.Errorf("(open|openat)&open = %v, want %v", got, open)
	}
	if got := open.And(openat); !got.IsEmpty() {
		t.Errorf("open&openat = %v, want empty", got)
	}
	if got := files.AndNot(open); got != openat {
		t.Errorf("(open|openat)-open = %v, want %v", got, openat)
	}

	all := AllEvents()
	if all.Len() != NumEventCodes || !all.IsFull() || all.Has(NumEventCodes) {
		t.Errorf("AllEvents() has %d codes, want %d", all.Len(), NumEventCodes)
	}
	not := open.Not()
	if not.Len() != NumEventCodes-2 || not.Has(2) || !not.Has(0) || !not.Has(NumEventCodes-1) {
		t.Errorf("Not(open) has %d codes", not.Len())
	}
	if not.Not() != open {
		t.Error("Not(Not(open)) != open")
	}
	if (EventSet{}).Not() != all || all.Not() != (EventSet{}) {
		t.Error("complement of empty/full set is wrong")
	}
	if got := not.Or(open); got != all {
		t.Error("open | Not(open) is not the full set")
	}

	var s EventSet
	s.Add(453)
	s.Add(0)
	s.Add(64)
	s.Add(NumEventCodes) // ignored
	s.Add(0)             // already there
	if got := s.Codes(); !slices.Equal(got, []EventCode{0, 64, 453}) {
		t.Errorf("Codes() = %v", got)
	}
	s.Remove(64)
	s.Remove(NumEventCodes)
	if got := s.Codes(); !slices.Equal(got, []EventCode{0, 453}) {
		t.Errorf("after Remove, Codes() = %v", got)
	}
	if s != EventSetOf(453, 0) {
		t.Error("EventSetOf(453, 0) differs")
	}

	var first []EventCode
	for c := range all.All() {
		first = append(first, c)
		if len(first) == 3 {
			break
		}
	}
	if !slices.Equal(first, []EventCode{0, 1, 2}) {
		t.Errorf("early stop of All() gave %v", first)
	}
	if got := open.String(); got != "{PPME_SYSCALL_OPEN_E, PPME_SYSCALL_OPEN_X}" {
		t.Errorf("String() = %q", got)
	}
	if got := files.Names(); !slices.Equal(got, []string{"open", "openat"}) {
		t.Errorf("Names() = %v", got)
	}
	if (EventSet{}).String() != "{}" || !(EventSet{}).IsEmpty() || (EventSet{}).Len() != 0 {
		t.Error("empty set misbehaves")
	}
}

func BenchmarkEventSetAnd(b *testing.B) {
	open, _ := EventTypeSet("open")
	all := AllEvents()
	var n int
	for b.Loop() {
		n += all.And(open).Not().Len()
	}
	if n < 0 {
		b.Fatal(n)
	}
}
