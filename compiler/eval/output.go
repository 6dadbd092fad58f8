package eval

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/falconer-sec/falconer/compiler/ir"
)

// na is how a missing value prints.
const na = "<NA>"

type outToken struct {
	text  string
	name  string // the field as written, the key in output_fields
	ex    *extractor
	width int
}

func (c *compiler) output(toks []ir.Token) ([]outToken, error) {
	out := make([]outToken, 0, len(toks))
	for _, t := range toks {
		if t.Field == nil {
			out = append(out, outToken{text: t.Text})
			continue
		}
		ex, err := c.operand(t.Field)
		if err != nil {
			return nil, err
		}
		out = append(out, outToken{name: operandName(t.Field), ex: ex, width: t.Width})
	}
	return out, nil
}

// operandName renders an operand as written in a rule: proc.aname[2],
// evt.arg.flags, tolower(proc.name).
func operandName(o *ir.Operand) string {
	if o.IsLiteral {
		return strconv.Quote(o.Literal)
	}
	if o.IsList {
		parts := make([]string, len(o.Args))
		for i, a := range o.Args {
			parts[i] = operandName(a)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	if o.Transformer != "" {
		parts := make([]string, len(o.Args))
		for i, a := range o.Args {
			parts[i] = operandName(a)
		}
		s := o.Transformer + "(" + strings.Join(parts, ", ") + ")"
		if o.HasArg {
			s += "[" + o.Arg + "]"
		}
		return s
	}
	if !o.HasArg {
		return o.Field
	}
	if o.Field == "evt.arg" || o.Field == "evt.rawarg" {
		if _, err := strconv.Atoi(o.Arg); err != nil {
			return o.Field + "." + o.Arg
		}
	}
	return o.Field + "[" + o.Arg + "]"
}

// Alert is a rule match, formatted.
type Alert struct {
	Time     int64 // event time, ns since the epoch
	Rule     string
	Priority ir.Priority
	Source   string
	Tags     []string
	Hostname string
	// Message is the rendered output template, without Falco's
	// "time: Priority " prefix.
	Message string
	// Fields holds the output fields in template order, with evt.time
	// first.
	Fields []OutputField
}

// OutputField is one field of an alert's output_fields. Value is a
// string, an int64, a bool, or nil for a missing value.
type OutputField struct {
	Name  string
	Value any
}

// Alert formats the alert for a match of r on ev.
func (e *Engine) Alert(r *Rule, ev *Event) *Alert {
	a := &Alert{Time: ev.Time, Rule: r.Name, Priority: r.Priority, Source: r.Source, Tags: r.Tags, Hostname: e.hostname}
	if a.Source == "" {
		a.Source = "syscall"
	}
	if ev.Hostname != "" {
		a.Hostname = ev.Hostname
	}
	var msg strings.Builder
	a.Fields = append(a.Fields, OutputField{Name: "evt.time", Value: ev.Time})
	seen := map[string]bool{"evt.time": true}
	for _, t := range r.output {
		if t.ex == nil {
			msg.WriteString(t.text)
			continue
		}
		s, ok := t.ex.render(ev)
		if !ok {
			s = na
		}
		if t.width > 0 {
			if len(s) > t.width {
				s = s[:t.width]
			} else {
				s += strings.Repeat(" ", t.width-len(s))
			}
		}
		msg.WriteString(s)
		if !seen[t.name] {
			seen[t.name] = true
			a.Fields = append(a.Fields, OutputField{Name: t.name, Value: typedValue(t.ex, ev)})
		}
	}
	a.Message = msg.String()
	return a
}

// typedValue returns a field's value for output_fields: numbers as
// numbers, booleans as booleans, nil when missing.
func typedValue(ex *extractor, ev *Event) any {
	if ex.num != nil && ex.str == nil {
		n, ok := ex.num(ev)
		if !ok {
			return nil
		}
		if ex.kind == kindBool {
			return n != 0
		}
		return n
	}
	s, ok := ex.render(ev)
	if !ok {
		return nil
	}
	return s
}

// Text returns Falco's text line: "<time>: <Priority> <message>", the
// time as %evt.time prints it.
func (a *Alert) Text() string {
	return formatEvtTime(a.Time) + ": " + a.Priority.String() + " " + a.Message
}

// jsonAlert is Falco's JSON alert line; keys are in alphabetical order as
// Falco (nlohmann::json) writes them.
type jsonAlert struct {
	Hostname     string          `json:"hostname"`
	Output       string          `json:"output"`
	OutputFields json.RawMessage `json:"output_fields"`
	Priority     string          `json:"priority"`
	Rule         string          `json:"rule"`
	Source       string          `json:"source"`
	Tags         []string        `json:"tags"`
	Time         string          `json:"time"`
}

// JSON returns Falco's JSON alert line (without a trailing newline).
func (a *Alert) JSON() []byte {
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	j := jsonAlert{
		Hostname:     a.Hostname,
		Output:       a.Text(),
		OutputFields: a.fieldsJSON(),
		Priority:     a.Priority.String(),
		Rule:         a.Rule,
		Source:       a.Source,
		Tags:         tags,
		Time:         time.Unix(0, a.Time).UTC().Format("2006-01-02T15:04:05.000000000Z"),
	}
	return marshal(j)
}

// marshal encodes v as Falco does: no HTML escaping of <, > and &, so that
// "<NA>" reads as written.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings, numbers, booleans and nested values: cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// fieldsJSON renders output_fields with keys sorted, as Falco does.
func (a *Alert) fieldsJSON() json.RawMessage {
	m := make(map[string]any, len(a.Fields))
	for _, f := range a.Fields {
		m[f.Name] = f.Value
	}
	return marshal(m) // maps marshal with sorted keys
}
