package syntax

// This file reproduces the JSON-schema check Falco runs over every rule
// file (userspace/engine/rule_json_schema.h). Falco only records its
// outcome (schema_valid: false) and never fails a load on it, so every
// finding here is a warning with CodeSchema.
//
// Falco validates the yaml-cpp node tree through valijson's yaml-cpp
// adapter with weak typing, which decides what a value "is" in ways a JSON
// reader would not:
//   - every value passes "type": "string", whatever it is;
//   - a boolean is a scalar whose text is exactly true or false, so
//     yes/on/True load as booleans (yaml-cpp) but fail the schema;
//   - an integer is a scalar whose text a C++ stream reads whole as a
//     decimal int64 (leading white space and a sign allowed);
//   - an array is a sequence and an object a map, nothing else (a null
//     fails both);
//   - an enum member matches by exact text.

import (
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

type schemaType uint8

const (
	schemaString schemaType = iota
	schemaBool
	schemaInt
	schemaArray
	schemaPriority
	schemaPluginVersions
	schemaExceptions
	schemaOverride
)

// itemProps are the properties of a top-level item ("FalcoRule").
var itemProps = map[string]schemaType{
	"required_engine_version":  schemaString,
	"required_plugin_versions": schemaPluginVersions,
	"macro":                    schemaString,
	"condition":                schemaString,
	"list":                     schemaString,
	"items":                    schemaArray,
	"rule":                     schemaString,
	"desc":                     schemaString,
	"enabled":                  schemaBool,
	"output":                   schemaString,
	"append":                   schemaBool,
	"priority":                 schemaPriority,
	"capture":                  schemaBool,
	"capture_duration":         schemaInt,
	"capture_events":           schemaInt,
	"capture_filesize":         schemaInt,
	"source":                   schemaString,
	"exceptions":               schemaExceptions,
	"override":                 schemaOverride,
	"tags":                     schemaArray,
	"warn_evttypes":            schemaBool,
	"skip-if-unknown-filter":   schemaBool,
}

// overrideProps are the keys an override map may name.
var overrideProps = []string{
	"items", "desc", "condition", "output", "priority", "enabled", "exceptions", "capture",
	"capture_duration", "capture_events", "capture_filesize", "tags", "warn_evttypes",
	"skip-if-unknown-filter",
}

// schemaPriorities are the priority spellings the schema lists.
var schemaPriorities = []string{
	"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "INFORMATIONAL", "DEBUG",
}

var (
	exceptionProps   = []string{"name", "fields", "comps", "values"}
	pluginProps      = []string{"name", "version", "alternatives"}
	alternativeProps = []string{"name", "version"}
)

// checkSchema checks one document (its root node as written).
func (l *loader) checkSchema(raw *yaml.Node) {
	root := l.resolve(raw)
	if root.Kind != yaml.SequenceNode {
		l.schemaWarn(raw, "rules content must be a sequence of items")
		return
	}
	for _, el := range root.Content {
		if l.over {
			return
		}
		n := l.resolve(el)
		if n.Kind != yaml.MappingNode {
			l.schemaWarn(el, "item must be a mapping")
			continue
		}
		l.schemaItem(n)
	}
}

func (l *loader) schemaWarn(n *yaml.Node, format string, args ...any) {
	l.errs.Warnf(l.nodePos(n), CodeSchema, "schema: "+format, args...)
}

// schemaItem checks a top-level item against the FalcoRule definition.
func (l *loader) schemaItem(n *yaml.Node) {
	l.schemaProps(n, "item", func(name string) bool { _, ok := itemProps[name]; return ok })
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, ok := schemaKey(l.resolve(n.Content[i]))
		if !ok || seen[name] {
			continue // a property is checked at its first occurrence
		}
		seen[name] = true
		t, known := itemProps[name]
		if !known {
			continue
		}
		raw := n.Content[i+1]
		v := l.resolve(raw)
		switch t {
		case schemaBool:
			if !schemaIsBool(v) {
				l.schemaWarn(raw, "'%s' must be a boolean (true or false)", name)
			}
		case schemaInt:
			if !schemaIsInt(v) {
				l.schemaWarn(raw, "'%s' must be an integer", name)
			}
		case schemaArray:
			if v.Kind != yaml.SequenceNode {
				l.schemaWarn(raw, "'%s' must be a sequence", name)
			}
		case schemaPriority:
			if !schemaIsOneOf(v, schemaPriorities) {
				l.schemaWarn(raw, "'priority' must be one of %s", strings.Join(schemaPriorities, ", "))
			}
		case schemaPluginVersions:
			l.schemaPluginVersions(raw, v)
		case schemaExceptions:
			l.schemaExceptions(raw, v)
		case schemaOverride:
			l.schemaOverride(raw, v)
		}
	}
}

// schemaProps warns about every key of map n that known does not accept
// ("additionalProperties": false).
func (l *loader) schemaProps(n *yaml.Node, what string, known func(string) bool) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, ok := schemaKey(l.resolve(n.Content[i]))
		if !ok || !known(name) {
			l.schemaWarn(n.Content[i], "unknown %s property '%s'", what, name)
		}
	}
}

// schemaRequired warns about each property of names that map n lacks.
func (l *loader) schemaRequired(n *yaml.Node, what string, names ...string) {
	for _, want := range names {
		found := false
		for i := 0; i+1 < len(n.Content) && !found; i += 2 {
			name, ok := schemaKey(l.resolve(n.Content[i]))
			found = ok && name == want
		}
		if !found {
			l.schemaWarn(n, "%s is missing required property '%s'", what, want)
		}
	}
}

func (l *loader) schemaPluginVersions(raw, v *yaml.Node) {
	if v.Kind != yaml.SequenceNode {
		l.schemaWarn(raw, "'required_plugin_versions' must be a sequence")
		return
	}
	for _, el := range v.Content {
		if l.over {
			return
		}
		p := l.resolve(el)
		if p.Kind != yaml.MappingNode {
			l.schemaWarn(el, "plugin version must be a mapping")
			continue
		}
		l.schemaProps(p, "plugin version", func(s string) bool { return contains(pluginProps, s) })
		l.schemaRequired(p, "plugin version", "name", "version")
		alt := schemaLookup(l, p, "alternatives")
		if alt == nil {
			continue
		}
		a := l.resolve(alt)
		if a.Kind != yaml.SequenceNode {
			l.schemaWarn(alt, "'alternatives' must be a sequence")
			continue
		}
		for _, ael := range a.Content {
			if l.over {
				return
			}
			an := l.resolve(ael)
			if an.Kind != yaml.MappingNode {
				l.schemaWarn(ael, "plugin version alternative must be a mapping")
				continue
			}
			l.schemaProps(an, "plugin version alternative", func(s string) bool { return contains(alternativeProps, s) })
			l.schemaRequired(an, "plugin version alternative", "name", "version")
		}
	}
}

func (l *loader) schemaExceptions(raw, v *yaml.Node) {
	if v.Kind != yaml.SequenceNode {
		l.schemaWarn(raw, "'exceptions' must be a sequence")
		return
	}
	for _, el := range v.Content {
		if l.over {
			return
		}
		e := l.resolve(el)
		if e.Kind != yaml.MappingNode {
			l.schemaWarn(el, "exception must be a mapping")
			continue
		}
		l.schemaProps(e, "exception", func(s string) bool { return contains(exceptionProps, s) })
		l.schemaRequired(e, "exception", "name")
	}
}

func (l *loader) schemaOverride(raw, v *yaml.Node) {
	if v.Kind != yaml.MappingNode {
		l.schemaWarn(raw, "'override' must be a mapping")
		return
	}
	if len(v.Content) == 0 {
		l.schemaWarn(raw, "'override' must have at least one entry")
		return
	}
	l.schemaProps(v, "override", func(s string) bool { return contains(overrideProps, s) })
	seen := make(map[string]bool, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		name, ok := schemaKey(l.resolve(v.Content[i]))
		if !ok || seen[name] || !contains(overrideProps, name) {
			continue
		}
		seen[name] = true
		if op := v.Content[i+1]; !schemaIsOneOf(l.resolve(op), []string{"append", "replace"}) {
			l.schemaWarn(op, "override of '%s' must be append or replace", name)
		}
	}
}

// schemaLookup returns the value of the first key name of map n, or nil.
func schemaLookup(l *loader, n *yaml.Node, name string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, ok := schemaKey(l.resolve(n.Content[i])); ok && k == name {
			return n.Content[i+1]
		}
	}
	return nil
}

// schemaKey returns a key's text as yaml-cpp converts it to a string.
func schemaKey(k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		return "", false
	}
	return scalarString(k), true
}

func schemaIsBool(v *yaml.Node) bool {
	return v.Kind == yaml.ScalarNode && !isNull(v) && (v.Value == "true" || v.Value == "false")
}

func schemaIsInt(v *yaml.Node) bool {
	return v.Kind == yaml.ScalarNode && !isNull(v) && streamInt64(v.Value)
}

func schemaIsOneOf(v *yaml.Node, names []string) bool {
	return v.Kind == yaml.ScalarNode && !isNull(v) && contains(names, v.Value)
}

// streamInt64 reports whether a C++ stream reads s whole as a decimal
// int64: leading white space, an optional sign, digits, nothing after.
func streamInt64(s string) bool {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + uint64(s[i]-'0')
		if v > 1<<63 {
			return false
		}
	}
	if i == start || i != len(s) {
		return false
	}
	return v < 1<<63 || neg
}
