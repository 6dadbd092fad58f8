// Package ruletest is a unit-test framework for Falco rules: test files in
// YAML set up context (a process tree, a container, users, file
// descriptors) and a sequence of events, state which rules must fire and
// which must not, and run through the same evaluator the agent uses.
//
// The format is documented in docs/rule-tests.md.
package ruletest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File is one parsed test file.
type File struct {
	Name  string
	Cases []*Case
}

// Case is one test case.
type Case struct {
	Name string `yaml:"name"`
	// Line is the case's line in its file.
	Line int    `yaml:"-"`
	File string `yaml:"-"`

	// Rules, if set, limits the case to these rules: others are ignored
	// both for firing and for silence.
	Rules []string `yaml:"rules"`

	// Context shared by the events of the case.
	Process   *Process   `yaml:"process"`
	Container *Container `yaml:"container"`

	// The events: exactly one of Event, Events or Capture.
	Event   *EventSpec  `yaml:"event"`
	Events  []EventSpec `yaml:"events"`
	Capture string      `yaml:"capture"` // a .scap file, relative to the test file

	// Expectations.
	Fires    StringList    `yaml:"fires"`     // rules that must fire (at least once)
	NotFires StringList    `yaml:"not_fires"` // rules that must not fire
	Silent   bool          `yaml:"silent"`    // no rule may fire
	Alerts   []AlertExpect `yaml:"alerts"`    // detailed expectations
}

// AlertExpect is a detailed expectation about the alerts of one rule.
type AlertExpect struct {
	Rule string `yaml:"rule"`
	// Count, if set, is the exact number of alerts of the rule.
	Count *int `yaml:"count"`
	// Output lists substrings the alert's output must contain.
	Output StringList `yaml:"output"`
	// Fields are output fields and their expected rendered values.
	Fields map[string]string `yaml:"fields"`
	// Priority, if set, is the expected priority.
	Priority string `yaml:"priority"`
}

// StringList is a list of strings that may be written as one string.
type StringList []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = StringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// Process describes a process and, through Parent, its ancestors.
type Process struct {
	Name     string            `yaml:"name"`    // proc.name (comm)
	Exe      string            `yaml:"exe"`     // proc.exe (argv[0]); default: Name
	ExePath  string            `yaml:"exepath"` // proc.exepath; default: /usr/bin/<name>
	Args     []string          `yaml:"args"`
	Pid      int64             `yaml:"pid"`
	Tid      int64             `yaml:"tid"`
	VPid     int64             `yaml:"vpid"`
	SID      int64             `yaml:"sid"`
	VPGID    int64             `yaml:"vpgid"`
	Cwd      string            `yaml:"cwd"`
	TTY      uint32            `yaml:"tty"`
	UID      *uint32           `yaml:"uid"`
	GID      *uint32           `yaml:"gid"`
	User     string            `yaml:"user"`  // user.name; default from uid (0: root)
	Group    string            `yaml:"group"` // group.name
	LoginUID *int64            `yaml:"loginuid"`
	Login    string            `yaml:"loginname"`
	Env      map[string]string `yaml:"env"`
	Cgroups  []string          `yaml:"cgroups"`
	// Capabilities by name (CAP_SYS_ADMIN ...).
	CapEffective []string `yaml:"cap_effective"`
	CapPermitted []string `yaml:"cap_permitted"`

	ExeWritable   bool `yaml:"exe_writable"`
	ExeUpperLayer bool `yaml:"exe_upper_layer"`
	ExeFromMemfd  bool `yaml:"exe_from_memfd"`

	// Host marks a process outside the case's container.
	Host   bool     `yaml:"host"`
	Parent *Process `yaml:"parent"`
}

// Container describes the container the case's processes run in.
type Container struct {
	ID         string            `yaml:"id"`
	Name       string            `yaml:"name"`
	Image      string            `yaml:"image"` // repository:tag
	Repository string            `yaml:"repository"`
	Tag        string            `yaml:"tag"`
	Privileged bool              `yaml:"privileged"`
	Mounts     []Mount           `yaml:"mounts"`
	Labels     map[string]string `yaml:"labels"`
	Type       string            `yaml:"type"`
	Pod        string            `yaml:"pod"`
	Namespace  string            `yaml:"namespace"`
}

// Mount is a container mount.
type Mount struct {
	Source string `yaml:"source"`
	Dest   string `yaml:"dest"`
	Mode   string `yaml:"mode"`
	RW     bool   `yaml:"rw"`
}

// EventSpec describes one event.
type EventSpec struct {
	Type string `yaml:"type"` // event name: openat, execve, connect ...
	// Res is the return value; default 0, or the fd number for
	// fd-creating events.
	Res *int64 `yaml:"res"`
	// Process overrides the case's process for this event.
	Process *Process `yaml:"process"`
	// FD is the file descriptor the event acts on: a path string or a
	// full description.
	FD *FDSpec `yaml:"fd"`
	// Flags are open flags ("O_RDONLY|O_CLOEXEC"); Mode the file mode.
	Flags string `yaml:"flags"`
	Mode  string `yaml:"mode"`
	// Args are further event arguments, rendered as Falco renders them.
	Args map[string]string `yaml:"args"`
	// Buffer is the I/O buffer of read/write-like events.
	Buffer string `yaml:"buffer"`
}

// FDSpec describes a file descriptor.
type FDSpec struct {
	Num  int64  `yaml:"num"`
	Type string `yaml:"type"` // file (default with a name), directory, ipv4, ipv6, unix, pipe, memfd ...
	Name string `yaml:"name"`
	// NameRaw is the path as the program passed it (fd.nameraw);
	// default: Name.
	NameRaw string `yaml:"nameraw"`
	Proto   string `yaml:"proto"` // tcp, udp
	SIP     string `yaml:"sip"`
	SPort   uint16 `yaml:"sport"`
	CIP     string `yaml:"cip"`
	CPort   uint16 `yaml:"cport"`
	Server  bool   `yaml:"server"`
}

// UnmarshalYAML accepts a path string as the short form of a file fd.
func (f *FDSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*f = FDSpec{Name: n.Value}
		return nil
	}
	type plain FDSpec
	return n.Decode((*plain)(f))
}

// decodeStrict decodes n into v, rejecting keys that v's type does not
// have, with the exact line and column of the offending key.
func decodeStrict(n *yaml.Node, v any) error {
	if err := checkKeys(n, reflect.TypeOf(v)); err != nil {
		return err
	}
	return n.Decode(v)
}

// checkKeys walks n along type t and reports the first unknown key.
func checkKeys(n *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // a short form or a type error the decoder reports
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue
			}
			f, ok := fieldByTag(t, k.Value)
			if !ok {
				return fmt.Errorf("line %d:%d: unknown key %q", k.Line, k.Column, k.Value)
			}
			if err := checkKeys(v, f.Type); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				if err := checkKeys(c, t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				if err := checkKeys(n.Content[i], t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == key && tag != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// Parse parses a test file. Errors carry the file name and line.
func Parse(name string, data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := &File{Name: name}
	if doc.Kind == 0 {
		return f, nil // empty file
	}
	root := doc.Content[0]
	var casesNode *yaml.Node
	switch root.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			if k.Value != "tests" {
				return nil, fmt.Errorf("%s:%d:%d: unknown key %q (a test file has one key, tests)", name, k.Line, k.Column, k.Value)
			}
			casesNode = v
		}
	case yaml.SequenceNode:
		casesNode = root
	default:
		return nil, fmt.Errorf("%s:%d:%d: a test file is a list of cases or a map with key tests", name, root.Line, root.Column)
	}
	if casesNode == nil {
		return f, nil
	}
	if casesNode.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d:%d: tests must be a list", name, casesNode.Line, casesNode.Column)
	}
	var errs []error
	seen := map[string]int{}
	for _, n := range casesNode.Content {
		c := &Case{Line: n.Line, File: name}
		if err := decodeStrict(n, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", name, err))
			continue
		}
		c.Line, c.File = n.Line, name
		if err := c.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: case %q: %v", name, n.Line, c.Name, err))
			continue
		}
		if prev, dup := seen[c.Name]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: case %q: duplicate name (first at line %d)", name, n.Line, c.Name, prev))
			continue
		}
		seen[c.Name] = n.Line
		f.Cases = append(f.Cases, c)
	}
	return f, errors.Join(errs...)
}

func (c *Case) validate() error {
	if c.Name == "" {
		return errors.New("a case needs a name")
	}
	n := 0
	if c.Event != nil {
		n++
	}
	if len(c.Events) > 0 {
		n++
	}
	if c.Capture != "" {
		n++
	}
	if n != 1 {
		return errors.New("a case needs exactly one of event, events or capture")
	}
	if len(c.Fires) == 0 && len(c.NotFires) == 0 && !c.Silent && len(c.Alerts) == 0 {
		return errors.New("a case needs an expectation: fires, not_fires, silent or alerts")
	}
	if c.Silent && (len(c.Fires) > 0 || len(c.Alerts) > 0) {
		return errors.New("silent contradicts fires/alerts")
	}
	for _, e := range c.events() {
		if e.Type == "" {
			return errors.New("an event needs a type")
		}
	}
	for _, a := range c.Alerts {
		if a.Rule == "" {
			return errors.New("an alerts entry needs a rule")
		}
	}
	return nil
}

// events returns the case's inline events.
func (c *Case) events() []EventSpec {
	if c.Event != nil {
		return []EventSpec{*c.Event}
	}
	return c.Events
}

// ExpectedRules returns every rule the case names as firing.
func (c *Case) ExpectedRules() []string {
	out := append([]string(nil), c.Fires...)
	for _, a := range c.Alerts {
		if a.Count == nil || *a.Count > 0 {
			out = append(out, a.Rule)
		}
	}
	return out
}
