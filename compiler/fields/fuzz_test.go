package fields

import (
	"errors"
	"strings"
	"testing"
)

// FuzzResolveRef feeds arbitrary references to ResolveRef: it must not
// panic, must return a field exactly when it returns no error, and a
// resolved field's name must begin the reference.
func FuzzResolveRef(f *testing.F) {
	f.Add("proc.aname", true, "2")
	f.Add("evt.arg.flags", false, "")
	f.Add("container.mount", true, "/usr/*")
	f.Fuzz(func(t *testing.T, name string, hasArg bool, arg string) {
		fld, a, err := ResolveRef(name, hasArg, arg)
		if (fld == nil) != (err != nil) {
			t.Fatalf("ResolveRef(%q, %v, %q) = %v, %v: want a field exactly when there is no error", name, hasArg, arg, fld, err)
		}
		if err != nil {
			var re *RefError
			if !errors.As(err, &re) || re.Msg == "" {
				t.Fatalf("ResolveRef(%q, %v, %q) error %v is not a RefError with a message", name, hasArg, arg, err)
			}
			if a != (Arg{}) {
				t.Fatalf("ResolveRef(%q, %v, %q) returned an argument with its error", name, hasArg, arg)
			}
			return
		}
		if !strings.HasPrefix(name, fld.Name) {
			t.Fatalf("ResolveRef(%q, %v, %q) = %s, which does not begin the reference", name, hasArg, arg, fld.Name)
		}
		if a.IsIndex && !a.Set {
			t.Fatalf("ResolveRef(%q, %v, %q) = index argument %+v that is not set", name, hasArg, arg, a)
		}
		if fld.Arg == ArgNone && a.Set && fld.Plugin != "" {
			t.Fatalf("ResolveRef(%q, %v, %q): plugin field %s takes no argument but got %+v", name, hasArg, arg, fld.Name, a)
		}
		if err := CheckRefOperator(fld, a, "exists"); err != nil {
			t.Fatalf("exists rejected for %s: %v", fld.Name, err)
		}
	})
}

// FuzzParseOp checks that ParseOp never panics and that what it accepts
// prints back to a string it accepts again.
func FuzzParseOp(f *testing.F) {
	f.Add("== oneof")
	f.Add("in")
	f.Fuzz(func(t *testing.T, s string) {
		op, mod, err := ParseOp(s)
		if err != nil {
			if op != OpInvalid || mod != ModNone {
				t.Fatalf("ParseOp(%q) = %v, %v with error %v", s, op, mod, err)
			}
			return
		}
		again := op.String()
		if mod != ModNone {
			again += " " + mod.String()
		}
		op2, mod2, err := ParseOp(again)
		if err != nil || op2 != op || mod2 != mod {
			t.Fatalf("ParseOp(%q) = %v %v, but ParseOp(%q) = %v %v %v", s, op, mod, again, op2, mod2, err)
		}
	})
}
