package fields_test

import (
	"fmt"

	"github.com/falconer-sec/falconer/compiler/fields"
)

func ExampleResolveRef() {
	f, arg, err := fields.ResolveRef("proc.aname", true, "2")
	fmt.Println(f.Name, f.Type, arg.Index, err)

	f, arg, _ = fields.ResolveRef("evt.rawarg.res", false, "")
	fmt.Println(f.Name, arg.Key, fields.EffectiveType(f, arg))

	_, _, err = fields.ResolveRef("proc.nobody", false, "")
	fmt.Println(err)
	// Output:
	// proc.aname CHARBUF 2 <nil>
	// evt.rawarg res ERRNO
	// filter_check called with nonexistent field proc.nobody
}

func ExampleCheckOperator() {
	pid, _ := fields.Lookup("proc.pid")
	fmt.Println(fields.CheckOperator(pid, ">="))
	fmt.Println(fields.CheckOperator(pid, "contains"))

	name := fields.ProcName.Field()
	fmt.Println(fields.CheckOperator(name, "startswith oneof"))
	// Output:
	// <nil>
	// 'contains' operator not supported for numeric filters
	// <nil>
}

func ExampleEventTypeCodes() {
	codes, _ := fields.EventTypeCodes("openat")
	for _, c := range codes {
		fmt.Println(c, c.IsEnter())
	}
	// A syscall without its own event is matched by the generic events.
	generic, _ := fields.EventTypeSet("capget")
	fmt.Println(generic)
	// Output:
	// PPME_SYSCALL_OPENAT_E true
	// PPME_SYSCALL_OPENAT_X false
	// PPME_SYSCALL_OPENAT_2_E true
	// PPME_SYSCALL_OPENAT_2_X false
	// {PPME_GENERIC_E, PPME_GENERIC_X}
}
