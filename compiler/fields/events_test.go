package fields

import (
	"bufio"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// codesOf turns PPME names into codes, failing the test on an unknown one.
func codesOf(t *testing.T, ppmes ...string) []EventCode {
	t.Helper()
	var out []EventCode
	for _, p := range ppmes {
		c, ok := LookupEventCode(p)
		if !ok {
			t.Fatalf("LookupEventCode(%q) failed", p)
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func TestEventTypeCodes(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"open", []string{"PPME_SYSCALL_OPEN_E", "PPME_SYSCALL_OPEN_X"}},
		{"openat", []string{"PPME_SYSCALL_OPENAT_E", "PPME_SYSCALL_OPENAT_X", "PPME_SYSCALL_OPENAT_2_E", "PPME_SYSCALL_OPENAT_2_X"}},
		{"execve", []string{
			"PPME_SYSCALL_EXECVE_8_E", "PPME_SYSCALL_EXECVE_8_X", "PPME_SYSCALL_EXECVE_13_E", "PPME_SYSCALL_EXECVE_13_X",
			"PPME_SYSCALL_EXECVE_14_E", "PPME_SYSCALL_EXECVE_14_X", "PPME_SYSCALL_EXECVE_15_E", "PPME_SYSCALL_EXECVE_15_X",
			"PPME_SYSCALL_EXECVE_16_E", "PPME_SYSCALL_EXECVE_16_X", "PPME_SYSCALL_EXECVE_17_E", "PPME_SYSCALL_EXECVE_17_X",
			"PPME_SYSCALL_EXECVE_18_E", "PPME_SYSCALL_EXECVE_18_X", "PPME_SYSCALL_EXECVE_19_E", "PPME_SYSCALL_EXECVE_19_X"}},
		{"procexit", []string{"PPME_PROCEXIT_E", "PPME_PROCEXIT_1_E"}},
		{"switch", []string{"PPME_SCHEDSWITCH_1_E", "PPME_SCHEDSWITCH_6_E"}},
		{"syscall", []string{"PPME_GENERIC_E", "PPME_GENERIC_X"}},
		// syscalls without a dedicated event map to the generic events.
		{"acct", []string{"PPME_GENERIC_E", "PPME_GENERIC_X"}},
		{"capget", []string{"PPME_GENERIC_E", "PPME_GENERIC_X"}},
		{"_llseek", []string{"PPME_GENERIC_E", "PPME_GENERIC_X"}},
		// a syscall name that is also an event name keeps its own codes.
		{"close_range", []string{"PPME_SYSCALL_CLOSE_RANGE_X"}},
	}
	for _, tt := range tests {
		got, ok := EventTypeCodes(tt.name)
		want := codesOf(t, tt.want...)
		if !ok || !slices.Equal(got, want) {
			t.Errorf("EventTypeCodes(%q) = %v, %v, want %v", tt.name, got, ok, want)
		}
		set, ok := EventTypeSet(tt.name)
		if !ok || !slices.Equal(set.Codes(), want) {
			t.Errorf("EventTypeSet(%q) = %v, %v, want %v", tt.name, set, ok, want)
		}
		if !IsEventType(tt.name) {
			t.Errorf("IsEventType(%q) = false", tt.name)
		}
	}
	for _, name := range []string{"", "some_invalid_event", "OPEN", "Open", "NA", "unknown", "open ", "openat3"} {
		if got, ok := EventTypeCodes(name); ok || got != nil {
			t.Errorf("EventTypeCodes(%q) = %v, %v, want nil, false", name, got, ok)
		}
		if set, ok := EventTypeSet(name); ok || !set.IsEmpty() {
			t.Errorf("EventTypeSet(%q) = %v, %v, want empty, false", name, set, ok)
		}
		if IsEventType(name) {
			t.Errorf("IsEventType(%q) = true", name)
		}
	}
	// The returned slice is the caller's.
	a, _ := EventTypeCodes("open")
	a[0] = 999
	if b, _ := EventTypeCodes("open"); b[0] == 999 {
		t.Error("EventTypeCodes returned shared storage")
	}
}

// TestEventTypesMatchData checks every evt.type name against the data
// files: evttypes.txt for the list, evttypes-detail.tsv for the codes and
// categories.
func TestEventTypesMatchData(t *testing.T) {
	var listed []string
	readLines(t, "data/evttypes.txt", func(l string) { listed = append(listed, l) })
	sort.Strings(listed)
	if got := EventTypes(); !slices.Equal(got, listed) {
		t.Fatalf("EventTypes() has %d names, evttypes.txt %d", len(got), len(listed))
	}
	if len(listed) != 488 {
		t.Errorf("%d evt.type names, spec §14 says 488", len(listed))
	}
	generic := codesOf(t, "PPME_GENERIC_E", "PPME_GENERIC_X")
	readLines(t, "data/evttypes-detail.tsv", func(l string) {
		c := strings.Split(l, "\t")
		name := c[0]
		got, ok := EventTypeCodes(name)
		if !ok {
			t.Errorf("EventTypeCodes(%q) failed", name)
			return
		}
		want := generic
		if c[1] == "yes" {
			want = codesOf(t, strings.Split(c[4], ",")...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("EventTypeCodes(%q) = %v, want %v", name, got, want)
		}
		if c[1] != "yes" {
			return
		}
		cats := map[string]bool{}
		for _, code := range got {
			if EventName(code) != name {
				t.Errorf("EventName(%v) = %q, want %q", code, EventName(code), name)
			}
			for _, n := range EventCategory(code).Names() {
				cats[n] = true
			}
		}
		var gotCats []string
		for n := range cats {
			gotCats = append(gotCats, n)
		}
		sort.Strings(gotCats)
		if want := strings.Join(gotCats, ","); want != c[3] {
			t.Errorf("%s: categories %s, detail file says %s", name, want, c[3])
		}
	})
}

func readLines(t *testing.T, path string, fn func(string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			fn(l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestEventTable checks the table against scap-event-table.tsv row by row.
func TestEventTable(t *testing.T) {
	n := 0
	readLines(t, "data/scap-event-table.tsv", func(l string) {
		c := strings.Split(l, "\t")
		code := EventCode(n)
		n++
		if code.String() != c[1] || EventName(code) != c[2] {
			t.Errorf("code %d = %s %s, want %s %s", code, code, EventName(code), c[1], c[2])
		}
		var params []string
		for _, p := range EventParams(code) {
			params = append(params, p.Name+":"+p.Type.String())
		}
		if got := strings.Join(params, ", "); got != c[6] {
			t.Errorf("%s params = %q, want %q", code, got, c[6])
		}
		if got := "0x" + strconvHex(uint64(EventCategory(code))); got != c[3] {
			t.Errorf("%s category = %s, want %s", code, got, c[3])
		}
		if got := "0x" + strconvHex(uint64(EventFlagsOf(code))); got != c[4] {
			t.Errorf("%s flags = %s, want %s", code, got, c[4])
		}
	})
	if n != NumEventCodes {
		t.Errorf("table has %d rows, NumEventCodes = %d", n, NumEventCodes)
	}
}

func strconvHex(v uint64) string {
	const digits = "0123456789abcdef"
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v >>= 4 {
		b = append([]byte{digits[v&15]}, b...)
	}
	return string(b)
}

func TestEventFacts(t *testing.T) {
	openX := codesOf(t, "PPME_SYSCALL_OPEN_X")[0]
	if openX != 3 || openX.IsEnter() || !EventCode(2).IsEnter() {
		t.Errorf("PPME_SYSCALL_OPEN_X = %d, IsEnter %v", openX, openX.IsEnter())
	}
	if got := EventParamIndex(openX, "flags"); got != 2 {
		t.Errorf("EventParamIndex(open_x, flags) = %d, want 2", got)
	}
	if got := EventParamIndex(openX, "nope"); got != -1 {
		t.Errorf("EventParamIndex(open_x, nope) = %d, want -1", got)
	}
	if c := EventCategory(openX); c.String() != "EC_SYSCALL|EC_FILE" || c.ClassName() != "EC_FILE" || c.Class() != 2 {
		t.Errorf("EventCategory(open_x) = %s (class %s)", c, c.ClassName())
	}
	procexit := codesOf(t, "PPME_PROCEXIT_1_E")[0]
	if got := EventCategory(procexit).Names(); !slices.Equal(got, []string{"EC_PROCESS", "EC_TRACEPOINT"}) {
		t.Errorf("EventCategory(procexit).Names() = %v", got)
	}
	if !EventFlagsOf(codesOf(t, "PPME_SYSCALL_EXECVE_8_X")[0]).Has(EventOldVersion) {
		t.Error("execve_8_x is not marked as an old version")
	}
	if EventFlagsOf(codesOf(t, "PPME_SYSCALL_EXECVE_19_X")[0]).Has(EventOldVersion) {
		t.Error("execve_19_x is marked as an old version")
	}
	if !EventFlagsOf(codesOf(t, "PPME_PROCEXIT_X")[0]).Has(EventUnused) {
		t.Error("procexit_x is not marked unused")
	}
	bad := EventCode(NumEventCodes)
	if EventName(bad) != "" || EventParams(bad) != nil || EventCategory(bad) != 0 || EventFlagsOf(bad) != 0 || bad.String() != "EventCode(454)" {
		t.Errorf("out-of-range code %d gave data", bad)
	}
	if _, ok := LookupEventCode("PPME_NOPE"); ok {
		t.Error("LookupEventCode(PPME_NOPE) succeeded")
	}
	if got := Category(13).ClassName(); got != "EC_CLASS(13)" {
		t.Errorf("Category(13).ClassName() = %s", got)
	}
}
