package fields

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// tsvRow is one row of data/fields.tsv, parsed independently of the
// generator.
type tsvRow struct {
	name, typ, arg, desc string
	tags                 map[string]bool
}

func readFieldsTSV(t *testing.T) []tsvRow {
	t.Helper()
	f, err := os.Open("data/fields.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []tsvRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		c := strings.Split(l, "\t")
		if len(c) != 4 {
			t.Fatalf("bad fields.tsv row %q", l)
		}
		r := tsvRow{name: c[0], typ: c[1], arg: c[2], desc: c[3], tags: map[string]bool{}}
		if strings.HasPrefix(r.desc, "[") {
			end := strings.Index(r.desc, "]")
			for _, tag := range strings.Split(r.desc[1:end], ",") {
				r.tags[tag] = true
			}
			r.desc = strings.TrimSpace(r.desc[end+1:])
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestCatalogMatchesTSV checks every generated entry against the source
// row it came from.
func TestCatalogMatchesTSV(t *testing.T) {
	rows := readFieldsTSV(t)
	all := All()
	if len(all) != len(rows) || NumFields != len(rows) {
		t.Fatalf("catalog has %d fields (NumFields %d), fields.tsv has %d rows", len(all), NumFields, len(rows))
	}
	plugin := 0
	for i, r := range rows {
		f := all[i]
		if int(f.ID) != i || f.Name != r.name {
			t.Errorf("field %d = %d %q, want %d %q", i, f.ID, f.Name, i, r.name)
		}
		if f.Type.String() != r.typ {
			t.Errorf("%s: Type = %v, want %s", r.name, f.Type, r.typ)
		}
		wantArg := map[string]ArgMode{"no": ArgNone, "yes": ArgRequired, "optional": ArgOptional}[r.arg]
		if f.Arg != wantArg {
			t.Errorf("%s: Arg = %v, want %v", r.name, f.Arg, wantArg)
		}
		flags := []struct {
			tag string
			got bool
		}{
			{"list", f.List}, {"deprecated", f.Deprecated}, {"filter-only", f.FilterOnly},
			{"no-rhs", f.NoRHS}, {"no-transformer", f.NoTransformer}, {"hidden", f.Hidden},
			{"print-only", f.PrintOnly}, {"table-only", f.TableOnly}, {"suggested-output", f.SuggestedOutput},
		}
		for _, fl := range flags {
			if fl.got != r.tags[fl.tag] {
				t.Errorf("%s: %s = %v, want %v", r.name, fl.tag, fl.got, r.tags[fl.tag])
			}
		}
		wantIndex := r.tags["arg:index"] || r.tags["arg:index|key"]
		wantKey := r.tags["arg:key"] || r.tags["arg:index|key"]
		if f.ArgIndex != wantIndex || f.ArgKey != wantKey {
			t.Errorf("%s: ArgIndex, ArgKey = %v, %v, want %v, %v", r.name, f.ArgIndex, f.ArgKey, wantIndex, wantKey)
		}
		if (f.Plugin == "container") != r.tags["plugin:container"] {
			t.Errorf("%s: Plugin = %q", r.name, f.Plugin)
		}
		if f.Plugin != "" {
			plugin++
		}
		if f.Desc != r.desc {
			t.Errorf("%s: Desc = %q, want %q", r.name, f.Desc, r.desc)
		}
		if got, ok := ByID(f.ID); !ok || got != f {
			t.Errorf("ByID(%d) = %v, %v, want %s", f.ID, got, ok, f.Name)
		}
		if f.ID.Field() != f || f.ID.String() != f.Name {
			t.Errorf("ID(%d).Field/String disagree with %s", f.ID, f.Name)
		}
	}
	// spec §13: 233 libsinsp fields and 61 plugin fields.
	if libs := len(rows) - plugin; libs != 233 || plugin != 61 {
		t.Errorf("got %d libsinsp and %d plugin fields, want 233 and 61", libs, plugin)
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name   string
		wantID ID
		wantOK bool
	}{
		{"evt.type", EvtType, true},
		{"proc.name", ProcName, true},
		{"proc.aname", ProcAname, true},
		{"fd.name", FdName, true},
		{"evt.arg", EvtArg, true},
		{"container.id", ContainerId, true},
		{"k8s.ns.name", K8sNsName, true},
		{"util.cnt", UtilCnt, true},
		{"proc.aname[2]", 0, false},
		{"evt.arg.flags", 0, false},
		{"proc.nam", 0, false},
		{"proc.namex", 0, false},
		{"PROC.NAME", 0, false},
		{"", 0, false},
		{"ka.user.name", 0, false},
	}
	for _, tt := range tests {
		f, ok := Lookup(tt.name)
		if ok != tt.wantOK || (ok && f.ID != tt.wantID) {
			t.Errorf("Lookup(%q) = %v, %v, want %v, %v", tt.name, f, ok, tt.wantID, tt.wantOK)
		}
		if !ok && f != nil {
			t.Errorf("Lookup(%q) returned a field with ok=false", tt.name)
		}
	}
}

func TestFieldFacts(t *testing.T) {
	tests := []struct {
		id    ID
		check func(*Field) bool
		what  string
	}{
		{EvtType, func(f *Field) bool { return f.Type == TypeCharBuf && f.Arg == ArgNone }, "CHARBUF, no arg"},
		{EvtRawarg, func(f *Field) bool { return f.Type == TypeDyn && f.NoRHS && f.NoTransformer && f.Arg == ArgRequired }, "DYN, no-rhs, no-transformer"},
		{EvtAround, func(f *Field) bool { return f.FilterOnly && f.Type == TypeUint64 }, "filter-only UINT64"},
		{EvtDir, func(f *Field) bool { return f.Deprecated }, "deprecated"},
		{FdTypes, func(f *Field) bool { return f.List && f.Arg == ArgOptional }, "list, optional arg"},
		{FdNet, func(f *Field) bool { return f.Type == TypeIPNet && f.FilterOnly }, "IPNET filter-only"},
		{ProcPid, func(f *Field) bool { return f.Type == TypeInt64 }, "INT64"},
		{ThreadCpu, func(f *Field) bool { return f.Type == TypeDouble }, "DOUBLE"},
		{EvtOutputtime, func(f *Field) bool { return f.PrintOnly }, "print-only"},
		{UtilCnt, func(f *Field) bool { return f.Hidden }, "hidden"},
		{ContainerMount, func(f *Field) bool { return f.ArgIndex && f.ArgKey && f.Plugin == "container" }, "plugin, index|key"},
		{ContainerLabel, func(f *Field) bool { return !f.ArgIndex && f.ArgKey }, "key"},
		{K8sPodId, func(f *Field) bool { return strings.HasPrefix(f.Desc, "[LEGACY]") }, "second bracket kept in Desc"},
	}
	for _, tt := range tests {
		if f := tt.id.Field(); !tt.check(f) {
			t.Errorf("%s: want %s, got %+v", f.Name, tt.what, *f)
		}
	}
	if _, ok := ByID(NumFields); ok {
		t.Errorf("ByID(NumFields) succeeded")
	}
	if got := ID(NumFields).String(); got != "ID(294)" {
		t.Errorf("ID(NumFields).String() = %q", got)
	}
}

func TestTypeNames(t *testing.T) {
	for ty := TypeNone; ty < numTypes; ty++ {
		got, ok := ParseType(ty.String())
		if !ok || got != ty {
			t.Errorf("ParseType(%q) = %v, %v, want %v", ty.String(), got, ok, ty)
		}
	}
	if _, ok := ParseType("NOPE"); ok {
		t.Error(`ParseType("NOPE") succeeded`)
	}
	if got := numTypes.String(); got != "Type(49)" {
		t.Errorf("numTypes.String() = %q", got)
	}
	classes := []struct {
		t                                  Type
		numeric, str, buf, ip, net, signed bool
	}{
		{TypeUint64, true, false, false, false, false, false},
		{TypeInt16, true, false, false, false, false, true},
		{TypeErrno, true, false, false, false, false, true},
		{TypeDouble, true, false, false, false, false, false},
		{TypePort, true, false, false, false, false, false},
		{TypeCharBuf, false, true, false, false, false, false},
		{TypeFSRelPath, false, true, false, false, false, false},
		{TypeByteBuf, false, false, true, false, false, false},
		{TypeIPAddr, false, false, false, true, false, false},
		{TypeIPNet, false, false, false, true, true, false},
		{TypeBool, false, false, false, false, false, false},
		{TypeDyn, false, false, false, false, false, false},
		{TypeSockTuple, false, false, false, false, false, false},
	}
	for _, c := range classes {
		got := [...]bool{c.t.Numeric(), c.t.IsString(), c.t.IsBuffer(), c.t.IsIP(), c.t.IsNet(), c.t.Signed()}
		want := [...]bool{c.numeric, c.str, c.buf, c.ip, c.net, c.signed}
		if got != want {
			t.Errorf("%v: Numeric, IsString, IsBuffer, IsIP, IsNet, Signed = %v, want %v", c.t, got, want)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	names := []string{"evt.type", "proc.name", "fd.name", "proc.aname", "container.image.repository", "k8s.ns.name", "nope.nope"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Lookup(names[i%len(names)])
	}
}

func BenchmarkResolveRef(b *testing.B) {
	refs := []struct {
		name   string
		hasArg bool
		arg    string
	}{
		{"proc.name", false, ""}, {"proc.aname", true, "2"}, {"evt.arg.flags", false, ""},
		{"fd.name", false, ""}, {"container.label.app", false, ""},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := refs[i%len(refs)]
		if _, _, err := ResolveRef(r.name, r.hasArg, r.arg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkByID(b *testing.B) {
	var n int
	for i := 0; b.Loop(); i++ {
		n += int(ID(i % NumFields).Field().Type)
	}
	if n < 0 {
		b.Fatal(n)
	}
}
