package syntax

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSchemaConformance checks the schema warnings against Falco's own
// cases: a schema-warning file draws at least one, a schema-ok file none.
func TestSchemaConformance(t *testing.T) {
	n := 0
	for _, row := range conformanceCases(t) {
		expect := row[1]
		if expect != "schema-ok" && expect != "schema-warning" {
			continue
		}
		n++
		t.Run(row[0], func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("../../testdata/conformance/rulefiles", row[0]))
			if err != nil {
				t.Fatal(err)
			}
			_, errs := LoadFile(row[0], src)
			var schema []string
			for _, e := range errs {
				if e.Code == CodeSchema {
					if e.Severity != SeverityWarning {
						t.Errorf("schema diagnostic %v is not a warning", e)
					}
					schema = append(schema, e.Error())
				}
			}
			switch {
			case expect == "schema-warning" && len(schema) == 0:
				t.Errorf("%s (%s): want a schema warning, got none", row[0], row[5])
			case expect == "schema-ok" && len(schema) > 0:
				t.Errorf("%s (%s): want no schema warning, got:\n%s", row[0], row[5], strings.Join(schema, "\n"))
			}
		})
	}
	if n != 83 {
		t.Errorf("found %d schema rows in cases.tsv, want 83", n)
	}
}

func TestSchemaWarnings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "clean rule",
			src: "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFORMATIONAL\n  enabled: false\n" +
				"  capture: true\n  capture_duration: 5\n  capture_events: -3\n  capture_filesize: \" 7\"\n" +
				"  warn_evttypes: 'false'\n  skip-if-unknown-filter: true\n  tags: []\n  source: [anything, goes]\n" +
				"  exceptions: [{name: e, fields: {x: y}, comps: 1, values: ~}]\n",
		},
		{
			name: "booleans must be spelled true or false",
			src:  "- list: l\n  items: [a]\n  append: yes\n- macro: m\n  condition: c\n  append: True\n- macro: m2\n  condition: c\n  append:\n",
			want: []string{
				"3:11: warning: schema: 'append' must be a boolean (true or false) [schema]",
				"6:11: warning: schema: 'append' must be a boolean (true or false) [schema]",
				"9:10: warning: schema: 'append' must be a boolean (true or false) [schema]",
			},
		},
		{
			name: "integers",
			src:  "- rule: r\n  enabled: true\n  capture_duration: 0x10\n  capture_events: '5 '\n  capture_filesize: 99999999999999999999\n",
			want: []string{
				"3:21: warning: schema: 'capture_duration' must be an integer [schema]",
				"4:19: warning: schema: 'capture_events' must be an integer [schema]",
				"5:21: warning: schema: 'capture_filesize' must be an integer [schema]",
			},
		},
		{
			name: "priority spelled as the schema lists it",
			src:  "- rule: r\n  priority: info\n  enabled: true\n- rule: r\n  priority: [INFO]\n  enabled: true\n",
			want: []string{
				"2:13: warning: schema: 'priority' must be one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFO, INFORMATIONAL, DEBUG [schema]",
				"5:13: warning: schema: 'priority' must be one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFO, INFORMATIONAL, DEBUG [schema]",
			},
		},
		{
			name: "arrays",
			src:  "- list: l\n  items: a\n- rule: r\n  enabled: true\n  tags: x\n  exceptions:\n",
			want: []string{
				"2:10: warning: schema: 'items' must be a sequence [schema]",
				"5:9: warning: schema: 'tags' must be a sequence [schema]",
				"6:14: warning: schema: 'exceptions' must be a sequence [schema]",
			},
		},
		{
			name: "unknown properties, first occurrence checked",
			src:  "- list: l\n  items: [a]\n  items: b\n  other: 1\n  other: 2\n",
			want: []string{
				"4:3: warning: schema: unknown item property 'other' [schema]",
				"5:3: warning: schema: unknown item property 'other' [schema]",
			},
		},
		{
			name: "override",
			src:  "- rule: r\n  enabled: true\n  override: {enabled: Replace, capture_events: replace, items: append, source: replace}\n",
			want: []string{
				"3:23: warning: schema: override of 'enabled' must be append or replace [schema]",
				"3:72: warning: schema: unknown override property 'source' [schema]",
			},
		},
		{
			name: "document and element shapes",
			src:  "- ~\n- [a]\n---\na: b\n",
			want: []string{
				"1:3: warning: schema: item must be a mapping [schema]",
				"2:3: warning: schema: item must be a mapping [schema]",
				"4:1: warning: schema: rules content must be a sequence of items [schema]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := LoadFile("s.yaml", []byte(tt.src))
			var got []string
			for _, s := range diagStrings(errs, true) {
				if strings.Contains(s, "[schema]") {
					got = append(got, s)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadFile(%q) schema warnings (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestStreamInt64(t *testing.T) {
	for in, want := range map[string]bool{
		"0": true, "-12": true, "+12": true, " 12": true, "\t\n12": true, "9223372036854775807": true,
		"-9223372036854775808": true, "9223372036854775808": false, "12 ": false, "1e3": false,
		"0x10": false, "": false, "-": false, "1.0": false,
	} {
		if got := streamInt64(in); got != want {
			t.Errorf("streamInt64(%q) = %v, want %v", in, got, want)
		}
	}
}
