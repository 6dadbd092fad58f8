package eval

import "testing"

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		fold, want bool
	}{
		{"*", "", false, true},
		{"*", "/any/path", false, true},
		{"/etc/*", "/etc/shadow", false, true},
		{"/etc/*", "/etc/ssh/sshd_config", false, true}, // '*' crosses '/', as fnmatch without FNM_PATHNAME
		{"/etc/?hadow", "/etc/shadow", false, true},
		{"/etc/?hadow", "/etc/shadow2", false, false},
		{"*.log", "/var/log/syslog", false, false},
		{"*.log", "/var/log/app.log", false, true},
		{"[abc]*", "banana", false, true},
		{"[!abc]*", "banana", false, false},
		{"[a-c]x", "bx", false, true},
		{"[a-c]x", "dx", false, false},
		{`\*x`, "*x", false, true},
		{`\*x`, "ax", false, false},
		{"*a*b*c*", "xxaxxbxxcxx", false, true},
		{"*a*b*c*", "xxaxxcxxbxx", false, false},
		{"/ETC/*", "/etc/passwd", true, true},
		{"/ETC/*", "/etc/passwd", false, false},
		{"[A-C]x", "bx", true, true},
		{"[unterminated", "[unterminated", false, true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s, tt.fold); got != tt.want {
			t.Errorf("globMatch(%q, %q, fold=%v) = %v, want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
		}
	}
}

func TestPathSet(t *testing.T) {
	ps := newPathSet([]string{"/tmp/hello", "/usr/bin/", "/var/lib/*/data"})
	tests := []struct {
		path string
		want bool
	}{
		{"/tmp/hello", true},
		{"/tmp/hello/x", true},
		{"/tmp/hello_world", false},
		{"/tmp", false},
		{"/usr/bin/ls", true},
		{"/usr/binx", false},
		{"/var/lib/docker/data/x", true},
		{"/var/lib/docker/other", false},
	}
	for _, tt := range tests {
		if got := ps.match(tt.path); got != tt.want {
			t.Errorf("pmatch(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if !newPathSet([]string{"/"}).match("/anything") {
		t.Error("pmatch(/) should match every absolute path")
	}
}

func TestIndexFold(t *testing.T) {
	tests := []struct {
		s, needle string
		want      int
	}{
		{"Hello World", "world", 6},
		{"HELLO", "hello", 0},
		{"abc", "abcd", -1},
		{"xSYS_ADMINx", "sys_admin", 1},
		{"", "", 0},
	}
	for _, tt := range tests {
		if got := indexFold(tt.s, tt.needle); got != tt.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", tt.s, tt.needle, got, tt.want)
		}
	}
}

func TestGetopt(t *testing.T) {
	tests := []struct {
		args      []string
		optstring string
		opt       string
		want      string
		found     bool
	}{
		{[]string{"-e", "/bin/sh", "1.2.3.4", "80"}, "e:c:l", "e", "/bin/sh", true},
		{[]string{"-lvp", "4444"}, "lvp:", "p", "4444", true},
		{[]string{"-lvp4444"}, "lvp:", "p", "4444", true},
		{[]string{"-lv"}, "lvp:", "v", "", true},
		{[]string{"-l", "--", "-e", "x"}, "le:", "e", "", false},
		{[]string{"host", "80"}, "e:", "e", "", false},
	}
	for _, tt := range tests {
		got, found := getopt(tt.args, tt.optstring, tt.opt)
		if got != tt.want || found != tt.found {
			t.Errorf("getopt(%q, %q, %q) = %q, %v; want %q, %v", tt.args, tt.optstring, tt.opt, got, found, tt.want, tt.found)
		}
	}
}
