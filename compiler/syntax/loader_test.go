package syntax

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// diagStrings formats diagnostics as "line:col: severity: msg [code]",
// leaving out schema warnings unless withSchema is set.
func diagStrings(errs ErrorList, withSchema bool) []string {
	var out []string
	for _, e := range errs {
		if e.Code == CodeSchema && !withSchema {
			continue
		}
		out = append(out, fmt.Sprintf("%d:%d: %s: %s [%s]", e.Pos.Line, e.Pos.Col, e.Severity, e.Msg, e.Code))
	}
	return out
}

func TestLoadFileDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "scalar document",
			src:  "just text\n",
			want: []string{"1:1: error: Rules content is not yaml [yaml-structure]"},
		},
		{
			name: "map document",
			src:  "rule: a\ndesc: b\n",
			want: []string{"1:1: error: Rules content is not yaml array of objects [yaml-structure]"},
		},
		{
			name: "element not a map",
			src:  "- list: a\n  items: []\n- just text\n- [a, b]\n",
			want: []string{
				"3:3: error: Unexpected element type. Each element should be a yaml associative array. [yaml-structure]",
				"4:3: error: Unexpected element type. Each element should be a yaml associative array. [yaml-structure]",
			},
		},
		{
			name: "null elements and null documents are skipped",
			src:  "---\n---\n-\n- ~\n- list: a\n  items: [b]\n",
		},
		{
			name: "second document is checked too",
			src:  "- list: a\n  items: [b]\n---\nfoo: bar\n",
			want: []string{"4:1: error: Rules content is not yaml array of objects [yaml-structure]"},
		},
		{
			name: "unknown top level item",
			src:  "- list: a\n  items: []\n- whatever: 1\n  other: 2\n",
			want: []string{"3:3: warning: Unknown top level item [unknown-item]"},
		},
		{
			name: "unknown keys per kind",
			src: "- list: a\n  items: []\n  priority: INFO\n" +
				"- macro: m\n  condition: a\n  output: x\n" +
				"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  override_written_wrong: {condition: append}\n" +
				"- required_engine_version: 10\n  list: x\n",
			want: []string{
				"3:3: warning: Unknown key 'priority'. The key will be ignored. [unknown-key]",
				"6:3: warning: Unknown key 'output'. The key will be ignored. [unknown-key]",
				"12:3: warning: Unknown key 'override_written_wrong'. The key will be ignored. [unknown-key]",
				"14:3: warning: Unknown key 'list'. The key will be ignored. [unknown-key]",
			},
		},
		{
			name: "missing required key",
			src:  "- list: a\n- macro: m\n",
			want: []string{
				"1:3: error: Item has no mapping for key 'items' [missing-key]",
				"2:3: error: Item has no mapping for key 'condition' [missing-key]",
			},
		},
		{
			name: "rule definition needs condition output desc priority",
			src:  "- rule: r\n  desc: d\n",
			want: []string{
				"1:3: error: Item has no mapping for key 'condition' [missing-key]",
				"1:3: error: Item has no mapping for key 'output' [missing-key]",
				"1:3: error: Item has no mapping for key 'priority' [missing-key]",
			},
		},
		{
			name: "standalone rule needs enabled",
			src:  "- rule: r\n  tags: [a]\n  exceptions: []\n",
			want: []string{"1:3: error: Item has no mapping for key 'enabled' [missing-key]"},
		},
		{
			name: "empty mapping",
			src:  "- macro: m\n  condition:\n- list:\n  items: []\n- rule: r\n  enabled: ~\n",
			want: []string{
				"2:3: error: Mapping for key 'condition' is empty [missing-key]",
				"3:3: error: Mapping for key 'list' is empty [missing-key]",
				"6:3: error: Mapping for key 'enabled' is empty [missing-key]",
			},
		},
		{
			name: "empty value",
			src:  "- macro: ''\n  condition: \"\"\n",
			want: []string{
				"1:10: error: Value must be non-empty [missing-key]",
				"2:14: error: Value must be non-empty [missing-key]",
			},
		},
		{
			name: "value not a scalar",
			src:  "- macro: m\n  condition: [a, b]\n- list: {a: b}\n  items: []\n",
			want: []string{
				"2:14: error: Value is not a scalar value [yaml-structure]",
				"3:9: error: Value is not a scalar value [yaml-structure]",
			},
		},
		{
			name: "value not a sequence",
			src:  "- list: l\n  items: a\n- list: l2\n  items:\n- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  tags: {a: b}\n",
			want: []string{
				"2:10: error: Value is not a sequence [yaml-structure]",
				"4:9: error: Value is not a sequence [yaml-structure]",
				"10:9: error: Value is not a sequence [yaml-structure]",
			},
		},
		{
			name: "sequence value not scalar",
			src:  "- list: l\n  items: [a, [b], ~, {c: d}]\n",
			want: []string{
				"2:14: error: sequence value is not scalar [yaml-structure]",
				"2:19: error: sequence value is not scalar [yaml-structure]",
				"2:22: error: sequence value is not scalar [yaml-structure]",
			},
		},
		{
			name: "cannot decode scalars",
			src: "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n" +
				"  enabled: maybe\n  warn_evttypes: tRUE\n  skip-if-unknown-filter: 1\n  capture: Yes\n" +
				"  capture_duration: -5\n- list: l\n  items: []\n  append: \"nope\"\n",
			want: []string{
				"6:12: error: Can't decode YAML scalar value [bad-value]",
				"7:18: error: Can't decode YAML scalar value [bad-value]",
				"8:27: error: Can't decode YAML scalar value [bad-value]",
				"10:21: error: Can't decode YAML scalar value [bad-value]",
				"13:11: error: Can't decode YAML scalar value [bad-value]",
			},
		},
		{
			name: "exceptions shapes",
			src: "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions: {a: b}\n" +
				"- rule: r2\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n" +
				"    - just text\n    - fields: [proc.name]\n    - name: e\n      values: x\n" +
				"    - name: e2\n      fields: proc.name\n      values: [[a, [b, [c]]], {x: y}]\n" +
				"    - name: e3\n      fields: [proc.name, '']\n      comps: {x: y}\n",
			want: []string{
				"6:15: error: Rule exceptions must be a sequence [yaml-structure]",
				"13:7: error: Rule exception must be a mapping [yaml-structure]",
				"14:7: error: Item has no mapping for key 'name' [missing-key]",
				"15:7: error: Item has no mapping for key 'fields' [missing-key]",
				"16:15: error: Rule exception values must be a sequence [yaml-structure]",
				"19:24: error: sequence value is not scalar [yaml-structure]",
				"19:31: error: Value must be a scalar or a sequence [yaml-structure]",
				"21:27: error: Value must be non-empty [missing-key]",
				"22:14: error: Value must be a scalar or a sequence [yaml-structure]",
			},
		},
		{
			name: "appended exception may omit fields",
			src: "- rule: r\n  exceptions:\n    - name: e\n      values: [[a]]\n  append: true\n" +
				"- rule: r\n  exceptions:\n    - name: e\n      values: [[a]]\n  override: {exceptions: append}\n",
		},
		{
			name: "replaced exception needs fields",
			src:  "- rule: r\n  exceptions:\n    - name: e\n      values: [[a]]\n  override: {exceptions: replace}\n",
			want: []string{"3:7: error: Item has no mapping for key 'fields' [missing-key]"},
		},
		{
			name: "append reads only condition and exceptions",
			src:  "- rule: r\n  condition: and x\n  priority: [not, read]\n  enabled: maybe\n  source:\n  append: true\n",
		},
		{
			name: "override reads only the keys it names",
			src: "- rule: r\n  condition: and x\n  desc: [not, read]\n  output: ''\n  override:\n    condition: append\n    output: replace\n" +
				"  source: ''\n",
			want: []string{"4:11: error: Value must be non-empty [missing-key]"},
		},
		{
			name: "standalone enabled ignores other keys",
			src:  "- rule: r\n  enabled: false\n  tags: oops\n",
		},
		{
			name: "source strict on a definition",
			src:  "- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  source:\n",
			want: []string{"6:3: error: Mapping for key 'source' is empty [missing-key]"},
		},
		{
			name: "override values",
			src: "- macro: m\n  condition: c\n  override: {condition: [append]}\n" +
				"- macro: m\n  condition: c\n  override: [condition]\n",
			want: []string{
				"3:25: error: Value is not a scalar value [yaml-structure]",
				"6:13: error: Value of override must be a mapping [yaml-structure]",
			},
		},
		{
			name: "required_engine_version",
			src:  "- required_engine_version:\n- required_engine_version: [1]\n- required_engine_version: ''\n- required_engine_version: 0.10.0\n",
			want: []string{
				"1:3: error: Mapping for key 'required_engine_version' is empty [missing-key]",
				"2:28: error: Value is not a scalar value [yaml-structure]",
				"3:28: error: Value must be non-empty [missing-key]",
			},
		},
		{
			name: "required_plugin_versions",
			src: "- required_plugin_versions: a\n" +
				"- required_plugin_versions:\n  - just text\n  - name: k8saudit\n  - version: 1.0.0\n" +
				"  - name: json\n    version: 0.7.0\n    alternatives: x\n" +
				"  - name: json\n    version: 0.7.0\n    alternatives: [x, {name: y}]\n",
			want: []string{
				"1:29: error: Value of required_plugin_versions must be a sequence [yaml-structure]",
				"3:5: error: Plugin version must be a mapping [yaml-structure]",
				"4:5: error: Item has no mapping for key 'version' [missing-key]",
				"5:5: error: Item has no mapping for key 'name' [missing-key]",
				"8:19: error: Value of plugin version alternatives must be a sequence [yaml-structure]",
				"11:20: error: Plugin version alternative must be a mapping [yaml-structure]",
				"11:23: error: Item has no mapping for key 'version' [missing-key]",
			},
		},
		{
			name: "yaml syntax error",
			src:  "- rule: a\n  desc: b: c\n",
			want: []string{"2:1: error: invalid YAML: mapping values are not allowed in this context [yaml-syntax]"},
		},
		{
			name: "yaml parser error line",
			src:  "- list: a\n  items: []\n - macro: b\n",
			want: []string{"3:1: error: invalid YAML: did not find expected '-' indicator [yaml-syntax]"},
		},
		{
			name: "unterminated quote",
			src:  "- list: a\n  items: [\"b]\n",
			want: []string{"2:1: error: invalid YAML: found unexpected end of stream [yaml-syntax]"},
		},
		{
			name: "unknown anchor",
			src:  "- list: a\n  items: *nope\n",
			want: []string{"2:10: error: invalid YAML: unknown anchor 'nope' referenced [yaml-syntax]"},
		},
		{
			name: "invalid utf-8",
			src:  "- list: a\n  items: [\"b\xff\"]\n",
			want: []string{"2:13: error: invalid YAML: invalid leading UTF-8 octet [yaml-syntax]"},
		},
		{
			name: "duplicate keys keep the first",
			src:  "- macro: m\n  condition: first\n  condition: [second]\n",
		},
		{
			name: "aliases",
			src:  "- list: a\n  items: &it [x, y]\n- list: b\n  items: *it\n- macro: m\n  condition: *it\n",
			want: []string{"6:14: error: Value is not a scalar value [yaml-structure]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, errs := LoadFile("test.yaml", []byte(tt.src))
			if f == nil {
				t.Fatal("LoadFile returned a nil File")
			}
			if diff := cmp.Diff(tt.want, diagStrings(errs, false)); diff != "" {
				t.Errorf("LoadFile(%q) diagnostics (-want +got):\n%s", tt.src, diff)
			}
			for _, e := range errs {
				if e.Pos.File != "test.yaml" {
					t.Errorf("diagnostic %v has file %q, want test.yaml", e, e.Pos.File)
				}
			}
		})
	}
}

func TestLoadFileItems(t *testing.T) {
	src := `- required_engine_version: 0.57.0
- required_plugin_versions:
    - name: container
      version: 0.4.0
      alternatives:
        - name: other
          version: 1.0.0
- list: shells
  items: [bash, "zsh", 3333]
- macro: spawned
  condition: evt.type = execve
  override:
    condition: append
- rule: Shell
  desc: d
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
  enabled: off
  tags: [b, a]
  exceptions:
    - name: known
      fields: [proc.name, proc.pname]
      comps: [=, in]
      values:
        - [bash, [sshd, sudo]]
    - name: one
      fields: proc.name
      values: [x, y]
- not_an_item: true
`
	f, errs := LoadFile("items.yaml", []byte(src))
	if len(errs.Errors()) > 0 {
		t.Fatalf("LoadFile: %v", errs)
	}
	if len(f.Items) != 6 {
		t.Fatalf("LoadFile gave %d items, want 6", len(f.Items))
	}
	ev := f.Items[0].(*EngineVersionItem)
	if ev.Version.Value != "0.57.0" || ev.Pos() != (Pos{"items.yaml", 1, 3, 2}) {
		t.Errorf("engine version = %q at %v", ev.Version.Value, ev.Pos())
	}
	pv := f.Items[1].(*PluginVersionsItem)
	if len(pv.Entries) != 1 || pv.Entries[0].Name.Value != "container" || pv.Entries[0].Version.Value != "0.4.0" ||
		len(pv.Entries[0].Alternatives) != 1 || pv.Entries[0].Alternatives[0].Name.Value != "other" {
		t.Errorf("plugin versions = %+v", pv.Entries)
	}
	li := f.Items[2].(*ListItem)
	var items []string
	for _, s := range li.Items {
		items = append(items, s.Value)
	}
	if diff := cmp.Diff([]string{"bash", "zsh", "3333"}, items); diff != "" || !li.ItemsSet {
		t.Errorf("list items (-want +got):\n%s", diff)
	}
	if li.Items[1].Style != StyleDoubleQuoted || li.Items[1].Pos.Col != 17 {
		t.Errorf("list item zsh: style %v at %v", li.Items[1].Style, li.Items[1].Pos)
	}
	ma := f.Items[3].(*MacroItem)
	if ma.Override.Op("condition") != "append" || !ma.Override.Set || ma.Append.Set {
		t.Errorf("macro override = %+v, append = %+v", ma.Override, ma.Append)
	}
	r := f.Items[4].(*RuleItem)
	if r.Name.Value != "Shell" || r.Priority.Value != "WARNING" || !r.Enabled.Set || r.Enabled.Value {
		t.Errorf("rule = %q priority %q enabled %+v", r.Name.Value, r.Priority.Value, r.Enabled)
	}
	var keys []string
	for _, k := range r.Keys {
		keys = append(keys, k.Name)
	}
	if diff := cmp.Diff([]string{"rule", "desc", "condition", "output", "priority", "enabled", "tags", "exceptions"}, keys); diff != "" {
		t.Errorf("rule keys (-want +got):\n%s", diff)
	}
	if len(r.Exceptions) != 2 {
		t.Fatalf("rule has %d exceptions, want 2", len(r.Exceptions))
	}
	e0 := r.Exceptions[0]
	if !e0.FieldsList || len(e0.Fields) != 2 || !e0.CompsList || e0.Comps[1].Value != "in" || len(e0.Values) != 1 {
		t.Fatalf("exception 0 = %+v", e0)
	}
	tuple := e0.Values[0].Tuple
	if !e0.Values[0].IsList || len(tuple) != 2 || tuple[0].Scalar.Value != "bash" || !tuple[1].IsList ||
		len(tuple[1].List) != 2 || tuple[1].List[1].Value != "sudo" {
		t.Errorf("exception 0 values = %+v", e0.Values)
	}
	e1 := r.Exceptions[1]
	if e1.FieldsList || e1.Fields[0].Value != "proc.name" || e1.CompsSet || len(e1.Values) != 2 || e1.Values[1].IsList {
		t.Errorf("exception 1 = %+v", e1)
	}
	u := f.Items[5].(*UnknownItem)
	if len(u.Keys) != 1 || u.Keys[0].Name != "not_an_item" {
		t.Errorf("unknown item keys = %+v", u.Keys)
	}
}

// TestLoadFileAnnotated loads files whose lines say which diagnostics they
// must draw, as trailing comments: # ERROR "regexp" or # WARNING "regexp".
// Every diagnostic must match an annotation on its line and every
// annotation must be matched. Schema warnings are left out.
func TestLoadFileAnnotated(t *testing.T) {
	files, err := filepath.Glob("testdata/loader/annotated/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no annotated files: %v", err)
	}
	annot := regexp.MustCompile(`# (ERROR|WARNING) "((?:[^"\\]|\\.)*)"`)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			type want struct {
				sev  Severity
				re   *regexp.Regexp
				line int
				hit  bool
			}
			var wants []*want
			sc := bufio.NewScanner(bytes.NewReader(src))
			for line := 1; sc.Scan(); line++ {
				for _, m := range annot.FindAllStringSubmatch(sc.Text(), -1) {
					sev := SeverityError
					if m[1] == "WARNING" {
						sev = SeverityWarning
					}
					wants = append(wants, &want{sev, regexp.MustCompile(m[2]), line, false})
				}
			}
			_, errs := LoadFile(path, src)
		diags:
			for _, e := range errs {
				if e.Code == CodeSchema {
					continue
				}
				for _, w := range wants {
					if !w.hit && w.line == e.Pos.Line && w.sev == e.Severity && w.re.MatchString(e.Msg) {
						w.hit = true
						continue diags
					}
				}
				t.Errorf("unexpected diagnostic %v", e)
			}
			for _, w := range wants {
				if !w.hit {
					t.Errorf("%s:%d: missing %s matching %q", path, w.line, w.sev, w.re)
				}
			}
		})
	}
}

// TestLoadFileGolden compares a dump of what LoadFile returns for each
// file under testdata/loader/golden with the .golden file beside it. Run
// with -update to rewrite them.
func TestLoadFileGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/loader/golden/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, errs := LoadFile(filepath.Base(path), src)
			got := dumpFile(f, errs)
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("LoadFile(%s) dump (-want +got):\n%s", path, diff)
			}
		})
	}
}

// dumpFile prints a File and its diagnostics in a stable text form.
func dumpFile(f *File, errs ErrorList) string {
	var b strings.Builder
	sc := func(name string, s Scalar) {
		if !s.Set {
			return
		}
		fmt.Fprintf(&b, "  %s: %q @%d:%d", name, s.Value, s.Pos.Line, s.Pos.Col)
		if s.Null {
			b.WriteString(" null")
		}
		if s.Style != StylePlain {
			fmt.Fprintf(&b, " style=%d", s.Style)
		}
		b.WriteByte('\n')
	}
	bl := func(name string, v Bool) {
		if v.Set {
			fmt.Fprintf(&b, "  %s: %v @%d:%d\n", name, v.Value, v.Pos.Line, v.Pos.Col)
		}
	}
	keys := func(ks Keys) {
		b.WriteString("  keys:")
		for _, k := range ks {
			fmt.Fprintf(&b, " %s@%d:%d", k.Name, k.Pos.Line, k.Pos.Col)
		}
		b.WriteByte('\n')
	}
	ov := func(o Overrides) {
		if !o.Set {
			return
		}
		fmt.Fprintf(&b, "  override @%d:%d:", o.Pos.Line, o.Pos.Col)
		for _, e := range o.Entries {
			fmt.Fprintf(&b, " %s=%s", e.Key, e.Op)
		}
		b.WriteByte('\n')
	}
	list := func(name string, ss []Scalar) {
		fmt.Fprintf(&b, "  %s:", name)
		for _, s := range ss {
			fmt.Fprintf(&b, " %q", s.Value)
		}
		b.WriteByte('\n')
	}
	for _, it := range f.Items {
		p := it.Pos()
		switch x := it.(type) {
		case *EngineVersionItem:
			fmt.Fprintf(&b, "required_engine_version @%d:%d\n", p.Line, p.Col)
			sc("version", x.Version)
		case *PluginVersionsItem:
			fmt.Fprintf(&b, "required_plugin_versions @%d:%d\n", p.Line, p.Col)
			for _, e := range x.Entries {
				fmt.Fprintf(&b, "  plugin %q %q", e.Name.Value, e.Version.Value)
				for _, a := range e.Alternatives {
					fmt.Fprintf(&b, " | %q %q", a.Name.Value, a.Version.Value)
				}
				b.WriteByte('\n')
			}
		case *ListItem:
			fmt.Fprintf(&b, "list @%d:%d\n", p.Line, p.Col)
			keys(x.Keys)
			sc("name", x.Name)
			list("items", x.Items)
			bl("append", x.Append)
			ov(x.Override)
		case *MacroItem:
			fmt.Fprintf(&b, "macro @%d:%d\n", p.Line, p.Col)
			keys(x.Keys)
			sc("name", x.Name)
			sc("condition", x.Condition)
			bl("append", x.Append)
			ov(x.Override)
		case *RuleItem:
			fmt.Fprintf(&b, "rule @%d:%d\n", p.Line, p.Col)
			keys(x.Keys)
			sc("name", x.Name)
			sc("condition", x.Condition)
			sc("output", x.Output)
			sc("desc", x.Desc)
			sc("priority", x.Priority)
			sc("source", x.Source)
			bl("enabled", x.Enabled)
			bl("warn_evttypes", x.WarnEvttypes)
			bl("skip-if-unknown-filter", x.SkipIfUnknownFilter)
			bl("capture", x.Capture)
			sc("capture_duration", x.CaptureDuration)
			if x.TagsSet {
				list("tags", x.Tags)
			}
			for _, e := range x.Exceptions {
				fmt.Fprintf(&b, "  exception %q @%d:%d fields(list=%v):", e.Name.Value, e.Pos.Line, e.Pos.Col, e.FieldsList)
				for _, s := range e.Fields {
					fmt.Fprintf(&b, " %q", s.Value)
				}
				fmt.Fprintf(&b, " comps(list=%v):", e.CompsList)
				for _, s := range e.Comps {
					fmt.Fprintf(&b, " %q", s.Value)
				}
				b.WriteString(" values:")
				for _, v := range e.Values {
					if !v.IsList {
						fmt.Fprintf(&b, " %q", v.Scalar.Value)
						continue
					}
					b.WriteString(" [")
					for i, el := range v.Tuple {
						if i > 0 {
							b.WriteByte(' ')
						}
						if !el.IsList {
							fmt.Fprintf(&b, "%q", el.Scalar.Value)
							continue
						}
						b.WriteByte('(')
						for j, s := range el.List {
							if j > 0 {
								b.WriteByte(' ')
							}
							fmt.Fprintf(&b, "%q", s.Value)
						}
						b.WriteByte(')')
					}
					b.WriteByte(']')
				}
				b.WriteByte('\n')
			}
			bl("append", x.Append)
			ov(x.Override)
		case *UnknownItem:
			fmt.Fprintf(&b, "unknown @%d:%d\n", p.Line, p.Col)
			keys(x.Keys)
		}
	}
	b.WriteString("diagnostics:\n")
	for _, s := range diagStrings(errs, true) {
		b.WriteString("  " + s + "\n")
	}
	return b.String()
}

// repoFiles returns the rule files under dir (relative to the package),
// recursively.
func repoFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestLoadUpstreamRules loads every upstream rule file: no errors, and
// every scalar maps back to the file exactly.
func TestLoadUpstreamRules(t *testing.T) {
	files := repoFiles(t, "../../testdata/upstream-rules")
	if len(files) < 5 {
		t.Fatalf("found %d upstream rule files, want at least 5", len(files))
	}
	for _, path := range files {
		t.Run(strings.TrimPrefix(path, "../../testdata/upstream-rules/"), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, errs := LoadFile(path, src)
			if errs.HasErrors() {
				t.Errorf("LoadFile(%s) errors:\n%s", path, errs.Errors())
			}
			if len(f.Items) < 10 {
				t.Errorf("LoadFile(%s) found %d items, want at least 10", path, len(f.Items))
			}
			for _, it := range f.Items {
				if _, ok := it.(*UnknownItem); ok {
					t.Errorf("%v: unknown item", it.Pos())
				}
			}
			n := 0
			pc := newPosChecker(src)
			walkScalars(f, func(s Scalar) {
				n++
				if !s.Exact() {
					t.Errorf("%v: scalar %.40q is not mapped exactly", s.Pos, s.Value)
				}
				pc.checkMapping(t, s)
			})
			if n < 10 {
				t.Errorf("LoadFile(%s) gave only %d scalars", path, n)
			}
		})
	}
}

// walkScalars calls fn for every scalar of every item of f.
func walkScalars(f *File, fn func(Scalar)) {
	each := func(ss ...Scalar) {
		for _, s := range ss {
			if s.Set {
				fn(s)
			}
		}
	}
	for _, it := range f.Items {
		switch x := it.(type) {
		case *EngineVersionItem:
			each(x.Version)
		case *PluginVersionsItem:
			for _, e := range x.Entries {
				each(e.Name, e.Version)
				for _, a := range e.Alternatives {
					each(a.Name, a.Version)
				}
			}
		case *ListItem:
			each(x.Name)
			each(x.Items...)
		case *MacroItem:
			each(x.Name, x.Condition)
		case *RuleItem:
			each(x.Name, x.Condition, x.Output, x.Desc, x.Priority, x.Source, x.CaptureDuration)
			each(x.Tags...)
			for _, e := range x.Exceptions {
				each(e.Name)
				each(e.Fields...)
				each(e.Comps...)
				for _, v := range e.Values {
					each(v.Scalar)
					for _, el := range v.Tuple {
						each(el.Scalar)
						each(el.List...)
					}
				}
			}
		}
	}
}

// conformanceCases reads the rule-file conformance table.
func conformanceCases(t testing.TB) [][]string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/conformance/rulefiles/cases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		for len(cols) < 6 {
			cols = append(cols, "")
		}
		rows = append(rows, cols)
	}
	return rows
}

// loaderTexts are the reader-level error texts the loader itself reports.
var loaderTexts = []string{
	"Rules content is not yaml", "Unexpected element type", "Item has no mapping for key",
	"Mapping for key", "Value must be non-empty", "Value is not a scalar value",
	"Can't decode YAML scalar value", "Value is not a sequence", "sequence value is not scalar",
	"Rule exceptions must be a sequence", "Rule exception must be a mapping",
	"Rule exception values must be a sequence", "Value of required_plugin_versions must be a sequence",
	"Plugin version must be a mapping", "Value of plugin version alternatives must be a sequence",
	"Plugin version alternative must be a mapping",
}

// TestLoaderConformance checks the loader against Falco's own rule-loader
// cases: a file Falco loads draws no loader error, and an expected error
// with a reader-level text is reported by the loader.
func TestLoaderConformance(t *testing.T) {
	rows := conformanceCases(t)
	checked := 0
	for _, row := range rows {
		files, expect, frag := strings.Split(row[0], ","), row[1], row[2]
		var all ErrorList
		for _, name := range files {
			path := filepath.Join("../../testdata/conformance/rulefiles", name)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%s: %v", row[5], err)
			}
			_, errs := LoadFile(name, src)
			all = append(all, errs...)
		}
		switch expect {
		case "ok", "ok-nowarn", "no-warnings-at-all":
			checked++
			if expect != "no-warnings-at-all" && all.HasErrors() {
				t.Errorf("%s (%s): loader errors on a file Falco loads:\n%s", row[0], row[5], all.Errors())
			}
			if expect != "ok" {
				for _, e := range all.Warnings() {
					if e.Code != CodeSchema {
						t.Errorf("%s (%s): unexpected warning %v", row[0], row[5], e)
					}
				}
			}
		case "error":
			reader := frag == "" && row[3] == ""
			for _, txt := range loaderTexts {
				reader = reader || strings.HasPrefix(frag, txt)
			}
			if !reader {
				continue
			}
			checked++
			found := false
			for _, e := range all.Errors() {
				found = found || strings.Contains(e.Msg, frag)
			}
			if !found {
				t.Errorf("%s (%s): want an error containing %q, got:\n%s", row[0], row[5], frag, all)
			}
		case "warning":
			if !strings.HasPrefix(frag, "Unknown key") {
				continue
			}
			checked++
			found := false
			for _, e := range all.Warnings() {
				found = found || strings.Contains(e.Msg, frag)
			}
			if !found {
				t.Errorf("%s (%s): want a warning containing %q, got:\n%s", row[0], row[5], frag, all)
			}
		}
	}
	if checked < 50 {
		t.Errorf("checked only %d conformance rows", checked)
	}
}

func TestLoadFileAliasBomb(t *testing.T) {
	// values refers w times to a tuple that refers w times to a list of w
	// scalars: a few kilobytes that would take w*w*w steps to walk.
	const w = 400
	seq := func(elem string) string { return "[" + strings.Repeat(elem+",", w-1) + elem + "]" }
	src := "- list: l\n  items: []\n  x: &l " + seq("x") + "\n  y: &t " + seq("*l") + "\n" +
		"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n" +
		"  exceptions:\n    - name: e\n      fields: [a, b]\n      values: " + seq("*t") + "\n"
	start := time.Now()
	_, errs := LoadFile("bomb.yaml", []byte(src))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("LoadFile took %v on an alias bomb", d)
	}
	found := false
	for _, e := range errs {
		found = found || strings.Contains(e.Msg, "excessive aliasing")
	}
	if !found {
		t.Errorf("LoadFile did not report excessive aliasing; got:\n%s", errs)
	}
}

// TestLoadFileLargeInputs guards against quadratic time: a long line with
// multi-byte characters, whose columns must be counted in characters, and
// an item with very many keys.
func TestLoadFileLargeInputs(t *testing.T) {
	const n = 50000
	long := "- list: é\n  items: [é" + strings.Repeat(", aé", n) + "]\n"
	var many strings.Builder
	many.WriteString("- list: l\n  items: []\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&many, "  k%d: v\n", i%(n/2))
	}
	for _, src := range []string{long, many.String()} {
		start := time.Now()
		f, errs := LoadFile("big.yaml", []byte(src))
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("LoadFile of %d bytes took %v", len(src), d)
		}
		if errs.HasErrors() || len(f.Items) != 1 {
			t.Fatalf("LoadFile: %d items, errors %v", len(f.Items), errs.Errors())
		}
		if li := f.Items[0].(*ListItem); len(li.Items) == n+1 {
			// "  items: [é" takes 12 bytes, each ", aé" 5 more; the last
			// "aé" starts 2 bytes into the last of them.
			if last := li.Items[n]; last.Pos.Line != 2 || last.Pos.Col != 12+5*(n-1)+3 {
				t.Errorf("last item at %v, want 2:%d", last.Pos, 12+5*(n-1)+3)
			}
		}
	}
}

func BenchmarkLoadFile(b *testing.B) {
	src, err := os.ReadFile("../../testdata/upstream-rules/falco_rules.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		_, errs := LoadFile("falco_rules.yaml", src)
		if errs.HasErrors() {
			b.Fatal(errs)
		}
	}
}

func FuzzLoadFile(f *testing.F) {
	for _, dir := range []string{"../../testdata/upstream-rules", "../../testdata/conformance/rulefiles"} {
		for _, path := range repoFiles(f, dir) {
			src, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, errs := LoadFile("fuzz.yaml", src)
		if file == nil {
			t.Fatal("LoadFile returned a nil File")
		}
		pc := newPosChecker(src)
		for _, e := range errs {
			pc.check(t, e.Pos, e.Error())
		}
		for _, it := range file.Items {
			pc.check(t, it.Pos(), "item")
		}
		walkScalars(file, func(s Scalar) { pc.checkMapping(t, s) })
	})
}
