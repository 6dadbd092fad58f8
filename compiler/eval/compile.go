package eval

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// pred is a compiled condition.
type pred func(*Event) bool

// compiler turns ir condition trees into closures. It is used once per
// ruleset load; nothing here runs per event.
type compiler struct {
	unsupported map[string]bool // catalog fields the evaluator reads as <NA>

	// shared counts how many rule conditions use each distinct check
	// (by canonical key); checks used more than once are memoised per
	// event in the slots numbered by memoSlot.
	shared   map[string]int
	memoSlot map[string]int
	compiled map[string]pred
}

// checkKey is the canonical form of a check, for sharing.
func checkKey(ch *ir.Check) string {
	b, _ := json.Marshal(ch) // plain data: cannot fail
	return string(b)
}

// countChecks records how often each distinct check occurs in e.
func (c *compiler) countChecks(e *ir.Expr) {
	if e.Kind == ir.KindCheck {
		c.shared[checkKey(e.Check)]++
		return
	}
	for _, a := range e.Args {
		c.countChecks(a)
	}
}

func (c *compiler) expr(e *ir.Expr) (pred, error) {
	switch e.Kind {
	case ir.KindAnd, ir.KindOr:
		ps := make([]pred, 0, len(e.Args))
		for _, a := range e.Args {
			p, err := c.expr(a)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		if e.Kind == ir.KindAnd {
			return andOf(ps), nil
		}
		return orOf(ps), nil
	case ir.KindNot:
		p, err := c.expr(e.Args[0])
		if err != nil {
			return nil, err
		}
		return func(ev *Event) bool { return !p(ev) }, nil
	case ir.KindCheck:
		return c.check(e.Check)
	}
	return nil, fmt.Errorf("unknown expression kind %q", e.Kind)
}

func andOf(ps []pred) pred {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(ev *Event) bool { return a(ev) && b(ev) }
	case 3:
		a, b, c := ps[0], ps[1], ps[2]
		return func(ev *Event) bool { return a(ev) && b(ev) && c(ev) }
	}
	return func(ev *Event) bool {
		for _, p := range ps {
			if !p(ev) {
				return false
			}
		}
		return true
	}
}

func orOf(ps []pred) pred {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(ev *Event) bool { return a(ev) || b(ev) }
	case 3:
		a, b, c := ps[0], ps[1], ps[2]
		return func(ev *Event) bool { return a(ev) || b(ev) || c(ev) }
	}
	return func(ev *Event) bool {
		for _, p := range ps {
			if p(ev) {
				return true
			}
		}
		return false
	}
}

// operand compiles a field reference or transformer into an extractor.
func (c *compiler) operand(o *ir.Operand) (*extractor, error) {
	if o.Transformer != "" {
		return c.transformer(o)
	}
	spec, ok := fieldSpecs[o.Field]
	if !ok {
		c.unsupported[o.Field] = true
		return &extractor{name: o.Field, kind: kindString, str: func(*Event) (string, bool) { return "", false }}, nil
	}
	ex, err := spec(o.Arg, o.HasArg)
	if err != nil {
		return nil, err
	}
	ex.name = o.Field
	return ex, nil
}

// strings returns a reader of ex's values as strings, for transformers and
// field comparisons: it renders numbers, booleans and addresses.
func (ex *extractor) stringsOf() func(e *Event, fn func(string) bool) bool {
	switch {
	case ex.each != nil:
		return ex.each
	case ex.list != nil:
		return func(e *Event, fn func(string) bool) bool {
			vs, ok := ex.list(e)
			if !ok {
				return false
			}
			for _, v := range vs {
				if fn(v) {
					return true
				}
			}
			return false
		}
	}
	return func(e *Event, fn func(string) bool) bool {
		s, ok := ex.render(e)
		return ok && fn(s)
	}
}

// render returns the value of ex as Falco prints it, and whether there is
// one.
func (ex *extractor) render(e *Event) (string, bool) {
	switch {
	case ex.str != nil:
		return ex.str(e)
	case ex.num != nil:
		n, ok := ex.num(e)
		if !ok {
			return "", false
		}
		if ex.kind == kindBool {
			if n != 0 {
				return "true", true
			}
			return "false", true
		}
		return strconv.FormatInt(n, 10), true
	case ex.ip != nil:
		a, ok := ex.ip(e)
		if !ok {
			return "", false
		}
		return a.String(), true
	case ex.ipEach != nil:
		var out string
		found := ex.ipEach(e, func(a netip.Addr) bool { out = a.String(); return true })
		return out, found
	case ex.byt != nil:
		b, ok := ex.byt(e)
		return string(b), ok
	case ex.each != nil:
		var parts []string
		ex.each(e, func(s string) bool { parts = append(parts, s); return false })
		return strings.Join(parts, " "), len(parts) > 0
	case ex.list != nil:
		vs, ok := ex.list(e)
		return strings.Join(vs, ","), ok
	}
	return "", false
}

func (c *compiler) transformer(o *ir.Operand) (*extractor, error) {
	args := make([]*extractor, 0, len(o.Args))
	var literals []string
	for _, a := range o.Args {
		switch {
		case a.IsLiteral:
			literals = append(literals, a.Literal)
			args = append(args, nil)
		case a.IsList:
			// join's list of fields: compile each element.
			var elems []*extractor
			for _, el := range a.Args {
				ex, err := c.operand(el)
				if err != nil {
					return nil, err
				}
				elems = append(elems, ex)
			}
			args = append(args, &extractor{kind: kindString, each: func(e *Event, fn func(string) bool) bool {
				for _, ex := range elems {
					if ex.stringsOf()(e, fn) {
						return true
					}
				}
				return false
			}})
		default:
			ex, err := c.operand(a)
			if err != nil {
				return nil, err
			}
			args = append(args, ex)
		}
	}
	name := o.Transformer
	unary := func(f func(string) string) (*extractor, error) {
		if len(args) != 1 || args[0] == nil {
			return nil, fmt.Errorf("transformer %s takes one field", name)
		}
		in := args[0].stringsOf()
		if args[0].each != nil || args[0].list != nil {
			return &extractor{name: name, kind: kindString, each: func(e *Event, fn func(string) bool) bool {
				return in(e, func(s string) bool { return fn(f(s)) })
			}}, nil
		}
		return &extractor{name: name, kind: kindString, str: func(e *Event) (string, bool) {
			s, ok := args[0].render(e)
			if !ok {
				return "", false
			}
			return f(s), true
		}}, nil
	}
	switch name {
	case "tolower":
		return unary(strings.ToLower)
	case "toupper":
		return unary(strings.ToUpper)
	case "basename":
		return unary(func(s string) string {
			if s == "" {
				return ""
			}
			return path.Base(s)
		})
	case "b64":
		return unary(func(s string) string {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return s
			}
			return string(b)
		})
	case "len":
		if len(args) != 1 || args[0] == nil {
			return nil, fmt.Errorf("transformer len takes one field")
		}
		in := args[0]
		return &extractor{name: name, kind: kindInt, num: func(e *Event) (int64, bool) {
			if in.list != nil {
				vs, ok := in.list(e)
				return int64(len(vs)), ok
			}
			s, ok := in.render(e)
			return int64(len(s)), ok
		}}, nil
	case "join":
		if len(args) != 2 || len(literals) != 1 || args[1] == nil {
			return nil, fmt.Errorf("transformer join takes a separator and a list of fields")
		}
		sep, in := literals[0], args[1]
		return &extractor{name: name, kind: kindString, str: func(e *Event) (string, bool) {
			var parts []string
			in.each(e, func(s string) bool { parts = append(parts, s); return false })
			return strings.Join(parts, sep), true
		}}, nil
	case "concat":
		return &extractor{name: name, kind: kindString, str: func(e *Event) (string, bool) {
			var b strings.Builder
			li := 0
			for _, a := range args {
				if a == nil {
					b.WriteString(literals[li])
					li++
					continue
				}
				s, ok := a.render(e)
				if !ok {
					return "", false
				}
				b.WriteString(s)
			}
			return b.String(), true
		}}, nil
	case "getopt":
		if len(args) != 2 || len(literals) != 1 || args[0] == nil || !o.HasArg {
			return nil, fmt.Errorf("transformer getopt takes a field, an option string and an [option]")
		}
		in, optstring, opt := args[0], literals[0], o.Arg
		return &extractor{name: name, kind: kindString, str: func(e *Event) (string, bool) {
			s, ok := in.render(e)
			if !ok {
				return "", false
			}
			return getopt(strings.Fields(s), optstring, opt)
		}}, nil
	}
	return nil, fmt.Errorf("unknown transformer %q", name)
}

// getopt scans args as POSIX getopt does with optstring and returns the
// argument of option opt ("" for a flag without argument), and whether the
// option was given.
func getopt(args []string, optstring, opt string) (string, bool) {
	if len(opt) != 1 {
		return "", false
	}
	want := opt[0]
	takesArg := func(c byte) (known, arg bool) {
		i := strings.IndexByte(optstring, c)
		if i < 0 || c == ':' {
			return false, false
		}
		return true, i+1 < len(optstring) && optstring[i+1] == ':'
	}
	val, found := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		for j := 1; j < len(a); j++ {
			known, hasArg := takesArg(a[j])
			if !known {
				continue
			}
			v := ""
			if hasArg {
				if j+1 < len(a) {
					v = a[j+1:]
				} else if i+1 < len(args) {
					i++
					v = args[i]
				}
			}
			if a[j] == want {
				val, found = v, true
			}
			if hasArg {
				break
			}
		}
	}
	return val, found
}

// check compiles a field comparison.
func (c *compiler) check(ch *ir.Check) (pred, error) {
	key := checkKey(ch)
	if p, ok := c.compiled[key]; ok {
		return p, nil
	}
	p, err := c.checkUncached(ch)
	if err != nil {
		return nil, err
	}
	if c.shared[key] > 1 && !disableMemo {
		slot, ok := c.memoSlot[key]
		if !ok {
			slot = len(c.memoSlot)
			c.memoSlot[key] = slot
		}
		p = memoised(p, slot)
	}
	c.compiled[key] = p
	return p, nil
}

// disableMemo turns check memoisation off; benchmarks flip it to measure
// what memoisation buys.
var disableMemo = false

// memoised wraps a check used by several rules so that it runs once per
// event: the result is kept in the event's memo slot, tagged with the
// evaluation's epoch.
func memoised(p pred, slot int) pred {
	return func(e *Event) bool {
		m := &e.memo[slot]
		if *m>>1 == e.epoch {
			return *m&1 == 1
		}
		v := p(e)
		*m = e.epoch << 1
		if v {
			*m |= 1
		}
		return v
	}
}

func (c *compiler) checkUncached(ch *ir.Check) (pred, error) {
	left, err := c.operand(&ch.Left)
	if err != nil {
		return nil, err
	}
	op := ch.Op
	if op == "==" {
		op = "="
	}
	if op == "exists" {
		return existsPred(left), nil
	}
	if p, ok := c.evtTypeCheck(ch, op); ok {
		return p, nil
	}
	if ch.Right != nil {
		right, err := c.operand(ch.Right)
		if err != nil {
			return nil, err
		}
		return fieldCompare(left, op, right)
	}
	switch left.kind {
	case kindInt, kindBool:
		if left.num == nil { // an ancestor number field without level: compare as strings
			break
		}
		np, err := numPred(op, ch.Values, left.kind == kindBool)
		if err != nil {
			return nil, err
		}
		num := left.num
		return func(e *Event) bool {
			n, ok := num(e)
			return ok && np(n)
		}, nil
	case kindIP:
		ip, err := ipPred(op, ch.Values)
		if err != nil {
			return nil, err
		}
		if left.ipEach != nil {
			each := left.ipEach
			return func(e *Event) bool { return each(e, ip) }, nil
		}
		get := left.ip
		return func(e *Event) bool {
			a, ok := get(e)
			return ok && ip(a)
		}, nil
	case kindBytes:
		bp, err := bytesPred(op, ch.Values)
		if err != nil {
			return nil, err
		}
		get := left.byt
		return func(e *Event) bool {
			b, ok := get(e)
			return ok && bp(b)
		}, nil
	}
	if left.list != nil && (op == "in" || op == "intersects") {
		set := newStrSet(ch.Values)
		get := left.list
		if op == "in" {
			return func(e *Event) bool {
				vs, ok := get(e)
				if !ok || len(vs) == 0 {
					return false
				}
				for _, v := range vs {
					if !set.has(v) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(e *Event) bool {
			vs, ok := get(e)
			if !ok {
				return false
			}
			for _, v := range vs {
				if set.has(v) {
					return true
				}
			}
			return false
		}, nil
	}
	if left.str != nil && ch.Modifier == "" {
		if p, ok := fusedStrCheck(left.str, op, ch.Values); ok {
			return p, nil
		}
	}
	sp, err := strPred(op, ch.Modifier, ch.Values)
	if err != nil {
		return nil, err
	}
	if left.str != nil {
		get := left.str
		return func(e *Event) bool {
			s, ok := get(e)
			return ok && sp(s)
		}, nil
	}
	each := left.stringsOf()
	return func(e *Event) bool { return each(e, sp) }, nil
}

func existsPred(ex *extractor) pred {
	switch {
	case ex.str != nil:
		get := ex.str
		return func(e *Event) bool { _, ok := get(e); return ok }
	case ex.num != nil:
		get := ex.num
		return func(e *Event) bool { _, ok := get(e); return ok }
	case ex.ip != nil:
		get := ex.ip
		return func(e *Event) bool { _, ok := get(e); return ok }
	case ex.ipEach != nil:
		each := ex.ipEach
		return func(e *Event) bool { return each(e, func(netip.Addr) bool { return true }) }
	case ex.byt != nil:
		get := ex.byt
		return func(e *Event) bool { _, ok := get(e); return ok }
	case ex.list != nil:
		get := ex.list
		return func(e *Event) bool { _, ok := get(e); return ok }
	case ex.each != nil:
		each := ex.each
		return func(e *Event) bool { return each(e, func(string) bool { return true }) }
	}
	return func(*Event) bool { return false }
}

// strSet is a set of strings: a slice for small sets (faster than a map
// and allocation-free), a map for large ones.
type strSet struct {
	small []string
	large map[string]struct{}
}

func newStrSet(values []string) *strSet {
	if len(values) <= 8 {
		return &strSet{small: values}
	}
	m := make(map[string]struct{}, len(values))
	for _, v := range values {
		m[v] = struct{}{}
	}
	return &strSet{large: m}
}

func (s *strSet) has(v string) bool {
	if s.large != nil {
		_, ok := s.large[v]
		return ok
	}
	for _, x := range s.small {
		if x == v {
			return true
		}
	}
	return false
}

// strPred compiles a string operator against literal values.
func strPred(op, modifier string, values []string) (func(string) bool, error) {
	if modifier != "" {
		ps := make([]func(string) bool, 0, len(values))
		for _, v := range values {
			p, err := strPred(op, "", []string{v})
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		switch modifier {
		case "anyof":
			return func(s string) bool {
				for _, p := range ps {
					if p(s) {
						return true
					}
				}
				return false
			}, nil
		case "allof":
			return func(s string) bool {
				for _, p := range ps {
					if !p(s) {
						return false
					}
				}
				return len(ps) > 0
			}, nil
		case "oneof":
			return func(s string) bool {
				n := 0
				for _, p := range ps {
					if p(s) {
						if n++; n > 1 {
							return false
						}
					}
				}
				return n == 1
			}, nil
		}
		return nil, fmt.Errorf("unknown modifier %q", modifier)
	}
	switch op {
	case "in", "intersects":
		set := newStrSet(values)
		return set.has, nil
	case "pmatch":
		ps := newPathSet(values)
		return ps.match, nil
	}
	if len(values) != 1 {
		return nil, fmt.Errorf("operator %s takes one value, got %d", op, len(values))
	}
	v := values[0]
	switch op {
	case "=":
		return func(s string) bool { return s == v }, nil
	case "!=":
		return func(s string) bool { return s != v }, nil
	case "contains":
		return func(s string) bool { return strings.Contains(s, v) }, nil
	case "icontains":
		lv := strings.ToLower(v)
		return func(s string) bool { return indexFold(s, lv) >= 0 }, nil
	case "startswith":
		return func(s string) bool { return strings.HasPrefix(s, v) }, nil
	case "endswith":
		return func(s string) bool { return strings.HasSuffix(s, v) }, nil
	case "glob":
		return func(s string) bool { return globMatch(v, s, false) }, nil
	case "iglob":
		return func(s string) bool { return globMatch(v, s, true) }, nil
	case "regex":
		re, err := regexp.CompilePOSIX("^(?:" + v + ")$")
		if err != nil {
			re, err = regexp.Compile("^(?:" + v + ")$")
			if err != nil {
				return nil, fmt.Errorf("invalid regex pattern: %v", err)
			}
		}
		return re.MatchString, nil
	case "bcontains", "bstartswith":
		b, err := hex.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("bcontains and bstartswith operator support hex strings only")
		}
		if op == "bcontains" {
			return func(s string) bool { return strings.Contains(s, string(b)) }, nil
		}
		return func(s string) bool { return strings.HasPrefix(s, string(b)) }, nil
	case "<", "<=", ">", ">=":
		return nil, fmt.Errorf("'%s' operator not supported for string filters", op)
	}
	return nil, fmt.Errorf("unknown operator %q", op)
}

// parseNum parses a numeric literal as libsinsp does: decimal, hex with
// 0x, or a float truncated to an integer.
func parseNum(v string) (int64, error) {
	if n, err := strconv.ParseInt(v, 0, 64); err == nil {
		return n, nil
	}
	if u, err := strconv.ParseUint(v, 0, 64); err == nil {
		return int64(u), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return int64(f), nil
	}
	if n, ok := services[v]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("%s is not a valid number", v)
}

// services are the port names libsinsp's value parser accepts for ports.
var services = map[string]int64{
	"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "dns": 53, "http": 80,
	"pop3": 110, "ntp": 123, "imap": 143, "snmp": 161, "ldap": 389, "https": 443,
	"smtps": 465, "imaps": 993, "pop3s": 995, "mysql": 3306, "postgresql": 5432,
}

func numPred(op string, values []string, isBool bool) (func(int64) bool, error) {
	nums := make([]int64, len(values))
	for i, v := range values {
		if isBool {
			switch v {
			case "true":
				nums[i] = 1
			case "false":
				nums[i] = 0
			default:
				return nil, fmt.Errorf("unrecognized boolean value %s", v)
			}
			continue
		}
		n, err := parseNum(v)
		if err != nil {
			return nil, err
		}
		nums[i] = n
	}
	switch op {
	case "in", "intersects":
		return func(n int64) bool {
			for _, x := range nums {
				if x == n {
					return true
				}
			}
			return false
		}, nil
	}
	if len(nums) != 1 {
		return nil, fmt.Errorf("operator %s takes one value, got %d", op, len(nums))
	}
	v := nums[0]
	switch op {
	case "=":
		return func(n int64) bool { return n == v }, nil
	case "!=":
		return func(n int64) bool { return n != v }, nil
	case "<":
		return func(n int64) bool { return n < v }, nil
	case "<=":
		return func(n int64) bool { return n <= v }, nil
	case ">":
		return func(n int64) bool { return n > v }, nil
	case ">=":
		return func(n int64) bool { return n >= v }, nil
	}
	return nil, fmt.Errorf("'%s' operator not supported for numeric filters", op)
}

// ipPred compiles an address comparison; values may be addresses or
// networks (CIDR), as for fd.net.
func ipPred(op string, values []string) (func(netip.Addr) bool, error) {
	var prefixes []netip.Prefix
	for _, v := range values {
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return nil, fmt.Errorf("unrecognized IP network %s", v)
			}
			prefixes = append(prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("unrecognized IP address %s", v)
		}
		prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	in := func(a netip.Addr) bool {
		a = a.Unmap()
		for _, p := range prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	switch op {
	case "=", "in", "intersects":
		return in, nil
	case "!=":
		return func(a netip.Addr) bool { return !in(a) }, nil
	}
	return nil, fmt.Errorf("'%s' operator not supported for ip address and network filters", op)
}

func bytesPred(op string, values []string) (func([]byte) bool, error) {
	if op == "in" || op == "intersects" {
		set := newStrSet(values)
		return func(b []byte) bool { return set.has(string(b)) }, nil
	}
	if len(values) != 1 {
		return nil, fmt.Errorf("operator %s takes one value", op)
	}
	v := []byte(values[0])
	switch op {
	case "bcontains", "bstartswith":
		b, err := hex.DecodeString(values[0])
		if err != nil {
			return nil, fmt.Errorf("bcontains and bstartswith operator support hex strings only")
		}
		v = b
		if op == "bcontains" {
			op = "contains"
		} else {
			op = "startswith"
		}
	}
	switch op {
	case "=":
		return func(b []byte) bool { return bytes.Equal(b, v) }, nil
	case "!=":
		return func(b []byte) bool { return !bytes.Equal(b, v) }, nil
	case "contains":
		return func(b []byte) bool { return bytes.Contains(b, v) }, nil
	case "startswith":
		return func(b []byte) bool { return bytes.HasPrefix(b, v) }, nil
	case "endswith":
		return func(b []byte) bool { return bytes.HasSuffix(b, v) }, nil
	}
	return nil, fmt.Errorf("'%s' operator not supported for buffer filters", op)
}

// fieldCompare compiles a field-to-field comparison.
func fieldCompare(left *extractor, op string, right *extractor) (pred, error) {
	if left.num != nil && right.num != nil {
		l, r := left.num, right.num
		var cmp func(a, b int64) bool
		switch op {
		case "=", "in", "intersects":
			cmp = func(a, b int64) bool { return a == b }
		case "!=":
			cmp = func(a, b int64) bool { return a != b }
		case "<":
			cmp = func(a, b int64) bool { return a < b }
		case "<=":
			cmp = func(a, b int64) bool { return a <= b }
		case ">":
			cmp = func(a, b int64) bool { return a > b }
		case ">=":
			cmp = func(a, b int64) bool { return a >= b }
		default:
			return nil, fmt.Errorf("'%s' operator not supported for numeric field comparisons", op)
		}
		return func(e *Event) bool {
			a, ok := l(e)
			if !ok {
				return false
			}
			b, ok := r(e)
			return ok && cmp(a, b)
		}, nil
	}
	var cmp func(a, b string) bool
	switch op {
	case "=", "in", "intersects":
		cmp = func(a, b string) bool { return a == b }
	case "!=":
		cmp = func(a, b string) bool { return a != b }
	case "contains":
		cmp = strings.Contains
	case "icontains":
		cmp = func(a, b string) bool { return indexFold(a, strings.ToLower(b)) >= 0 }
	case "startswith":
		cmp = strings.HasPrefix
	case "endswith":
		cmp = strings.HasSuffix
	case "glob":
		cmp = func(a, b string) bool { return globMatch(b, a, false) }
	case "iglob":
		cmp = func(a, b string) bool { return globMatch(b, a, true) }
	default:
		return nil, fmt.Errorf("'%s' operator not supported for field comparisons", op)
	}
	lv, rv := left.stringsOf(), right.stringsOf()
	return func(e *Event) bool {
		return lv(e, func(a string) bool {
			return rv(e, func(b string) bool { return cmp(a, b) })
		})
	}, nil
}

// fusedStrCheck compiles the most frequent string checks into one closure
// each, saving an indirect call per check on the hot path.
func fusedStrCheck(get func(*Event) (string, bool), op string, values []string) (pred, bool) {
	switch op {
	case "in", "intersects":
		set := newStrSet(values)
		if set.large != nil {
			m := set.large
			return func(e *Event) bool {
				s, ok := get(e)
				if !ok {
					return false
				}
				_, found := m[s]
				return found
			}, true
		}
		small := set.small
		return func(e *Event) bool {
			s, ok := get(e)
			if !ok {
				return false
			}
			for _, v := range small {
				if v == s {
					return true
				}
			}
			return false
		}, true
	}
	if len(values) != 1 {
		return nil, false
	}
	v := values[0]
	switch op {
	case "=":
		return func(e *Event) bool { s, ok := get(e); return ok && s == v }, true
	case "!=":
		return func(e *Event) bool { s, ok := get(e); return ok && s != v }, true
	case "startswith":
		return func(e *Event) bool { s, ok := get(e); return ok && strings.HasPrefix(s, v) }, true
	case "endswith":
		return func(e *Event) bool { s, ok := get(e); return ok && strings.HasSuffix(s, v) }, true
	case "contains":
		return func(e *Event) bool { s, ok := get(e); return ok && strings.Contains(s, v) }, true
	}
	return nil, false
}

// evtTypeCheck compiles evt.type = / != / in against a bitset of event
// codes: the event's code is tested instead of its name. Generic events
// (whose code stands for many syscalls) fall back to the name.
func (c *compiler) evtTypeCheck(ch *ir.Check, op string) (pred, bool) {
	if ch.Left.Field != "evt.type" || ch.Left.Transformer != "" || ch.Right != nil || ch.Modifier != "" {
		return nil, false
	}
	if op != "=" && op != "!=" && op != "in" {
		return nil, false
	}
	var set fields.EventSet
	for _, v := range ch.Values {
		codes, ok := fields.EventTypeCodes(v)
		if !ok {
			return nil, false
		}
		for _, code := range codes {
			if fields.EventName(code) == v {
				set.Add(code)
			}
		}
	}
	names := newStrSet(ch.Values)
	match := func(e *Event) bool {
		if int(e.Code) < fields.NumEventCodes && fields.EventName(fields.EventCode(e.Code)) == e.Type {
			return set.Has(fields.EventCode(e.Code))
		}
		return names.has(e.Type)
	}
	if op == "!=" {
		return func(e *Event) bool { return !match(e) }, true
	}
	return match, true
}
