package fields

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestParseOp(t *testing.T) {
	tests := []struct {
		in      string
		wantOp  Op
		wantMod Modifier
		wantErr string
	}{
		{"=", OpEq, ModNone, ""},
		{"==", OpEq, ModNone, ""},
		{"!=", OpNe, ModNone, ""},
		{"<", OpLt, ModNone, ""},
		{"<=", OpLe, ModNone, ""},
		{">", OpGt, ModNone, ""},
		{">=", OpGe, ModNone, ""},
		{"contains", OpContains, ModNone, ""},
		{"icontains", OpIContains, ModNone, ""},
		{"bcontains", OpBContains, ModNone, ""},
		{"startswith", OpStartsWith, ModNone, ""},
		{"bstartswith", OpBStartsWith, ModNone, ""},
		{"endswith", OpEndsWith, ModNone, ""},
		{"glob", OpGlob, ModNone, ""},
		{"iglob", OpIGlob, ModNone, ""},
		{"regex", OpRegex, ModNone, ""},
		{"in", OpIn, ModNone, ""},
		{"intersects", OpIntersects, ModNone, ""},
		{"pmatch", OpPMatch, ModNone, ""},
		{"exists", OpExists, ModNone, ""},
		{"== oneof", OpEq, ModOneOf, ""},
		{"!= allof", OpNe, ModAllOf, ""},
		{"startswith anyof", OpStartsWith, ModAnyOf, ""},
		{"regex  oneof", OpRegex, ModOneOf, ""},
		{"in oneof", OpInvalid, ModNone, "unrecognized filter comparison operator 'in oneof'"},
		{"> anyof", OpInvalid, ModNone, "unrecognized filter comparison operator '> anyof'"},
		{"pmatch allof", OpInvalid, ModNone, "unrecognized filter comparison operator 'pmatch allof'"},
		{"== someof", OpInvalid, ModNone, "unrecognized filter comparison operator '== someof'"},
		{"== ONEOF", OpInvalid, ModNone, "unrecognized filter comparison operator '== ONEOF'"},
		{"like", OpInvalid, ModNone, "unrecognized filter comparison operator 'like'"},
		{"CONTAINS", OpInvalid, ModNone, "unrecognized filter comparison operator 'CONTAINS'"},
		{"", OpInvalid, ModNone, "unrecognized filter comparison operator ''"},
	}
	for _, tt := range tests {
		op, mod, err := ParseOp(tt.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if op != tt.wantOp || mod != tt.wantMod || gotErr != tt.wantErr {
			t.Errorf("ParseOp(%q) = %v, %v, %q, want %v, %v, %q", tt.in, op, mod, gotErr, tt.wantOp, tt.wantMod, tt.wantErr)
		}
	}
}

// allOps lists every operator once, in the spelling conditions use.
var allOps = []string{"=", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains",
	"startswith", "bstartswith", "endswith", "glob", "iglob", "regex", "in", "intersects", "pmatch", "exists"}

// TestCheckOpClasses pins, per type class, exactly which operators are
// accepted and the error text of the others.
func TestCheckOpClasses(t *testing.T) {
	tests := []struct {
		class string
		types []Type
		list  bool
		ok    string // accepted operators, space separated
		err   string // suffix of the error for the others ("" for the list-type error)
	}{
		{"numeric", []Type{TypeUint64, TypeInt64, TypeInt16, TypeUint32, TypeAbsTime, TypeRelTime, TypePort, TypeDouble, TypeErrno, TypeFD, TypePID, TypeMode, TypeFlags32, TypeEnumFlags8, TypeSyscallID, TypeSigType, TypeUID, TypeGID},
			false, "= != < <= > >= in intersects exists", "operator not supported for numeric filters"},
		{"bool", []Type{TypeBool}, false, "= != in intersects exists", "operator not supported for numeric filters"},
		{"string", []Type{TypeCharBuf, TypeFSPath, TypeFSRelPath}, false,
			"= != < <= > >= contains icontains startswith endswith glob iglob regex in intersects pmatch exists", "operator not supported for string filters"},
		{"buffer", []Type{TypeByteBuf}, false,
			"= != contains in exists startswith endswith intersects bcontains bstartswith", "operator not supported for buffer filters"},
		{"ip", []Type{TypeIPAddr, TypeIPNet, TypeIPv4Addr, TypeIPv4Net, TypeIPv6Addr, TypeIPv6Net}, false,
			"= != in exists intersects", "operator not supported for ip address and network filters"},
		{"list", []Type{TypeCharBuf, TypeUint64, TypeRelTime, TypeAbsTime, TypeBool, TypeIPAddr, TypeIPNet}, true,
			"in intersects exists", "operator not supported list filters"},
	}
	for _, tt := range tests {
		accepted := map[string]bool{}
		for _, o := range strings.Fields(tt.ok) {
			accepted[o] = true
		}
		for _, ty := range tt.types {
			for _, op := range allOps {
				err := CheckTypeOperator(ty, tt.list, op)
				if accepted[op] {
					if err != nil {
						t.Errorf("%s: CheckTypeOperator(%v, %v, %q) = %v, want nil", tt.class, ty, tt.list, op, err)
					}
					continue
				}
				want := "'" + op + "' " + tt.err
				if err == nil || err.Error() != want {
					t.Errorf("%s: CheckTypeOperator(%v, %v, %q) = %v, want %q", tt.class, ty, tt.list, op, err, want)
				}
			}
		}
	}
}

func TestCheckOpOther(t *testing.T) {
	tests := []struct {
		t    Type
		list bool
		op   string
		want string
	}{
		{TypeInt64, true, "in", "list filters are not supported for type 'INT64'"},
		{TypeByteBuf, true, "in", "list filters are not supported for type 'BYTEBUF'"},
		{TypeInt64, true, "exists", ""},
		{TypeDyn, false, "=", "'=' operator not supported for type 'DYN'"},
		{TypeSockTuple, false, "contains", "'contains' operator not supported for type 'SOCKTUPLE'"},
		{TypeSockTuple, false, "exists", ""},
		{TypeUint64, false, "==", ""},
		{TypeUint64, false, "== anyof", ""},
		{TypeCharBuf, false, "==", ""},
		{TypeIPAddr, false, "== anyof", ""},
		{TypeIPAddr, false, "contains anyof", "'contains' operator not supported for ip address and network filters"},
		{TypeCharBuf, true, "== anyof", "'=' operator not supported list filters"},
		{TypeCharBuf, false, "bstartswith oneof", "'bstartswith' operator not supported for string filters"},
		{TypeCharBuf, false, "in anyof", "unrecognized filter comparison operator 'in anyof'"},
		{TypeCharBuf, false, "~=", "unrecognized filter comparison operator '~='"},
	}
	for _, tt := range tests {
		err := CheckTypeOperator(tt.t, tt.list, tt.op)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckTypeOperator(%v, %v, %q) = %q, want %q", tt.t, tt.list, tt.op, got, tt.want)
		}
	}
	if err := CheckOp(TypeCharBuf, false, OpInvalid); err == nil {
		t.Error("CheckOp(OpInvalid) succeeded")
	}
	rawarg, a, err := ResolveRef("evt.rawarg.res", false, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckRefOperator(rawarg, a, "<"); err != nil {
		t.Errorf("CheckRefOperator(evt.rawarg.res, <) = %v", err)
	}
	if err := CheckRefOperator(rawarg, a, "contains"); err == nil || err.Error() != "'contains' operator not supported for numeric filters" {
		t.Errorf("CheckRefOperator(evt.rawarg.res, contains) = %v", err)
	}
	if err := CheckOperator(FdTypes.Field(), "="); err == nil || err.Error() != "'=' operator not supported list filters" {
		t.Errorf("CheckOperator(fd.types, =) = %v", err)
	}
}

// valueLevelErrors are conformance rows whose operator suits the field's
// type but whose value does not; checking values is the checker's job.
// Each must still pass CheckOperator.
var valueLevelErrors = map[string]string{
	"thread.cpu = 1.0":              "floating-point values are not accepted for DOUBLE fields",
	`proc.name = "\x00"`:            "NUL byte in a string value",
	`proc.name icontains "\x00"`:    "NUL byte in a string value",
	`proc.name endswith "\x00"`:     "NUL byte in a string value",
	`proc.name glob "\x00?"`:        "NUL byte in a string value",
	`evt.buffer bstartswith "\x00"`: "bstartswith takes a hex string",
}

// operatorRow matches a conformance row made of one field (with an
// optional bracket argument), one operator with an optional modifier, and
// a constant value.
var operatorRow = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_.]*)(\[([^\]\s]*)\])? ` +
	`(==|=|!=|<=|<|>=|>|contains|icontains|bcontains|startswith|bstartswith|endswith|glob|iglob|regex|intersects|in|pmatch|exists)` +
	`( (oneof|anyof|allof))?( (.*))?$`)

// transformerValue matches a right-hand side that is a field or a
// transformer (val(...), tolower(...)...): a field comparison, not an
// operator-level row.
var transformerValue = regexp.MustCompile(`^[a-z0-9]+\(`)

// TestConditionsCompileOperators takes the operator-level rows of the
// conformance file (field, operator, constant) and checks that
// ResolveRef and CheckOperator accept exactly the "ok" rows.
func TestConditionsCompileOperators(t *testing.T) {
	f, err := os.Open("../../testdata/conformance/conditions-compile.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	checked, seenValueLevel := 0, map[string]bool{}
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 2 {
			t.Fatalf("bad row %q", line)
		}
		expect, cond := cols[0], cols[1]
		if expect != "ok" && expect != "error" {
			continue // warning-resolver rows: fields are not validated there
		}
		// A row wrapped in parentheses is its inside; an "ok" row made of
		// several checks joined by and/or must have every check accepted.
		if strings.HasPrefix(cond, "(") && strings.HasSuffix(cond, ")") {
			cond = cond[1 : len(cond)-1]
		}
		parts := splitChecks(cond)
		if len(parts) > 1 && expect != "ok" {
			continue
		}
		for _, part := range parts {
			m := operatorRow.FindStringSubmatch(part)
			if m == nil {
				continue
			}
			name, hasArg, arg, op, mod, value := m[1], m[2] != "", m[3], m[4], m[6], m[8]
			if transformerValue.MatchString(value) {
				continue
			}
			if mod != "" {
				op += " " + mod
			}
			checked++
			fld, a, rerr := ResolveRef(name, hasArg, arg)
			var cerr error
			if rerr == nil {
				cerr = CheckRefOperator(fld, a, op)
			}
			if expect == "ok" && rerr == nil && (fld.ID == EvtType || fld.ID == SyscallType) && op != "exists" {
				// evt.type values must name events or syscalls.
				for _, v := range strings.Split(strings.Trim(value, "()"), ",") {
					if v = strings.TrimSpace(v); v != "" && !IsEventType(v) {
						t.Errorf("%s: IsEventType(%q) = false", part, v)
					}
				}
			}
			switch {
			case expect == "ok" && (rerr != nil || cerr != nil):
				t.Errorf("%s: want ok, got ResolveRef error %v, CheckOperator error %v", part, rerr, cerr)
			case expect == "error" && valueLevelErrors[part] != "":
				seenValueLevel[part] = true
				if rerr != nil || cerr != nil {
					t.Errorf("%s: a value-level error, but the reference or operator was rejected: %v, %v", part, rerr, cerr)
				}
			case expect == "error" && rerr == nil && cerr == nil:
				t.Errorf("%s: want an error, but ResolveRef and CheckOperator accept it", part)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for cond := range valueLevelErrors {
		if !seenValueLevel[cond] {
			t.Errorf("value-level row %q not found in the conformance file", cond)
		}
	}
	if checked < 150 {
		t.Errorf("only %d operator-level rows checked; the row pattern no longer matches the file", checked)
	}
	t.Logf("checked %d operator-level rows", checked)
}

// splitChecks splits a condition of plain checks joined by "and"/"or"
// (each possibly preceded by "not") into the checks.
func splitChecks(cond string) []string {
	var out []string
	for _, a := range strings.Split(cond, " and ") {
		for _, o := range strings.Split(a, " or ") {
			out = append(out, strings.TrimPrefix(o, "not "))
		}
	}
	return out
}
