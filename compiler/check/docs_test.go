package check

import (
	"os"
	"strings"
	"testing"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// TestDiagnosticsDoc checks that docs/diagnostics.md documents every code
// with its Falco equivalent.
func TestDiagnosticsDoc(t *testing.T) {
	data, err := os.ReadFile("../../docs/diagnostics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, c := range syntax.Codes() {
		row := "| `" + string(c) + "` |"
		i := strings.Index(doc, row)
		if i < 0 {
			t.Errorf("docs/diagnostics.md has no row for code %s", c)
			continue
		}
		line := doc[i:]
		line = line[:strings.IndexByte(line, '\n')]
		if f := c.Falco(); f != "" && f != "LOAD_SCHEMA" && !strings.Contains(line, "`"+f+"`") {
			t.Errorf("row of %s does not name Falco's code %s", c, f)
		}
	}
}
