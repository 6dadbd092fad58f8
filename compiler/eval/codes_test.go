package eval

import "testing"

func TestEventCode(t *testing.T) {
	tests := []struct {
		name     string
		wantCode uint16
		wantCat  string
	}{
		{"openat", 307, "file"},    // PPME_SYSCALL_OPENAT_2_X
		{"execve", 293, "process"}, // PPME_SYSCALL_EXECVE_19_X
		{"close", 5, "io_other"},
		{"procexit", 186, "process"}, // PPME_PROCEXIT_1_E: current, though an enter event
	}
	for _, tt := range tests {
		code, ok := EventCode(tt.name)
		if !ok || code != tt.wantCode {
			t.Errorf("EventCode(%q) = %d, %v; want %d", tt.name, code, ok, tt.wantCode)
			continue
		}
		name, cat := EventMeta(code)
		if name != tt.name || cat != tt.wantCat {
			t.Errorf("EventMeta(%d) = %q, %q; want %q, %q", code, name, cat, tt.name, tt.wantCat)
		}
	}
	if _, ok := EventCode("no_such_event"); ok {
		t.Error("EventCode(no_such_event) succeeded")
	}
}
