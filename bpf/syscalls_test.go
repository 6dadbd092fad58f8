package bpf

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every captured syscall produces the current exit event the format names
// for it.
func TestSyscallEvents(t *testing.T) {
	tab := eventTable(t)
	for _, sc := range syscalls {
		info, ok := tab[sc.event]
		if !ok {
			t.Errorf("%s: event %d not in the table", sc.name, sc.event)
			continue
		}
		if info.name != sc.name {
			t.Errorf("%s: event %d is %q in the table", sc.name, sc.event, info.name)
		}
		if sc.event%2 != 1 {
			t.Errorf("%s: event %d is not an exit event", sc.name, sc.event)
		}
	}
	if got := tab[186].name; got != ProcExit {
		t.Errorf("event 186 is %q, want %q", got, ProcExit)
	}
}

func TestSupported(t *testing.T) {
	sup, unsup := Supported([]string{"openat", "procexit", "sendto", "execve", "nosuch"})
	if diff := cmp.Diff([]string{"openat", "procexit", "execve"}, sup); diff != "" {
		t.Errorf("supported (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"sendto", "nosuch"}, unsup); diff != "" {
		t.Errorf("unsupported (-want +got):\n%s", diff)
	}
	all := Syscalls()
	if !slices.IsSorted(all) || len(all) != len(syscalls)+1 {
		t.Errorf("Syscalls() = %v: want %d sorted names", all, len(syscalls)+1)
	}
}

func TestSlotsFor(t *testing.T) {
	tests := []struct {
		names   []string
		on      []int
		wantErr bool
	}{
		{names: nil, on: nil},
		{names: []string{"openat"}, on: []int{257}},
		{names: []string{"clone3"}, on: []int{435, slotSchedFork}},
		{names: []string{"vfork", "fork"}, on: []int{57, 58, slotSchedFork}},
		{names: []string{"execve"}, on: []int{59, slotSchedExec}},
		{names: []string{"execveat"}, on: []int{322}},
		{names: []string{"procexit", "close"}, on: []int{3, slotProcExit}},
		{names: []string{"openat", "getpid"}, wantErr: true},
	}
	for _, tt := range tests {
		slots, err := slotsFor(tt.names)
		if tt.wantErr {
			if !errors.Is(err, ErrUnknownSyscall) {
				t.Errorf("slotsFor(%q) error = %v, want ErrUnknownSyscall", tt.names, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("slotsFor(%q) error = %v", tt.names, err)
			continue
		}
		var on []int
		for i, v := range slots {
			if v != 0 {
				on = append(on, i)
			}
		}
		slices.Sort(tt.on)
		if diff := cmp.Diff(tt.on, on); diff != "" {
			t.Errorf("slotsFor(%q) slots (-want +got):\n%s", tt.names, diff)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		in      Options
		wantErr bool
	}{
		{in: Options{}},
		{in: Options{RingSize: 1 << 20}},
		{in: Options{RingSize: 3 << 20}, wantErr: true},
		{in: Options{RingSize: 1024}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := tt.in.withDefaults(4096)
		if (err != nil) != tt.wantErr {
			t.Errorf("withDefaults(%+v) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got.RingSize == 0 || got.PollMin <= 0 || got.PollMax < got.PollMin || got.BatchSize <= 0 || got.Syscalls == nil {
			t.Errorf("withDefaults(%+v) = %+v: zero fields left", tt.in, got)
		}
	}
}
