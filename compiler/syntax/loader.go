package syntax

// This file is the YAML rule-file loader. It reads a file the way Falco's
// rule reader (userspace/engine/rule_loader_reader.cpp) does: which item
// kind an item is, which keys each kind reads in which situation, and the
// reader's structural errors with Falco's texts. It does not resolve
// anything: appends, overrides, references, priorities, versions and
// conditions are the checker's business.
//
// The YAML library builds a node tree; the loader walks it itself, which
// gives yaml-cpp's behaviour where the two differ (duplicate keys keep the
// first occurrence, scalars are typed on demand by the reading key).

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// LoadFile decodes one rule file. It never panics; on malformed input it
// returns what it could decode plus diagnostics. Warnings (unknown keys,
// unknown items, schema) are in the list too. The list is sorted by
// position.
//
// Unlike Falco, which stops at the first error of a file, LoadFile goes on
// with the next item and reports every error it finds. An item with an
// error is still returned, with the keys that decoded.
func LoadFile(name string, src []byte) (*File, ErrorList) {
	l := &loader{
		name:   name,
		src:    src,
		idx:    newLineIndex(src),
		file:   &File{Name: name},
		budget: 8*len(src) + 4096,
	}
	for _, doc := range l.parse() {
		l.document(doc)
	}
	l.errs.Sort()
	return l.file, l.errs
}

// loader holds the state of one LoadFile call.
type loader struct {
	name string
	src  []byte
	idx  *lineIndex
	file *File
	errs ErrorList

	// budget bounds the nodes the loader visits, so that aliases cannot
	// make it walk a small file for ever; over is set when it runs out.
	budget int
	over   bool

	m mapper // scratch for mapping scalars back to the source
}

// parse reads every YAML document of the file. A syntax error ends the
// file: Falco then reads nothing, the loader keeps the documents before.
func (l *loader) parse() []*yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(l.src))
	var docs []*yaml.Node
	for {
		doc := new(yaml.Node)
		err := decodeNode(dec, doc)
		if err == io.EOF {
			return docs
		}
		if err != nil {
			l.syntaxError(err)
			return docs
		}
		docs = append(docs, doc)
	}
}

// decodeNode reads the next document. The YAML library turns its own
// failures into errors; a panic from it is a bug there, reported as an
// error rather than taking the caller down.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal parser failure: %v", r)
		}
	}()
	return dec.Decode(n)
}

// parserProblems are the YAML library's parser (not scanner) error texts.
// For those it reports the 0-based line of the problem, for scanner errors
// the 1-based line.
var parserProblems = []string{
	"did not find expected",
	"found duplicate %",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxError reports a YAML syntax error at the line the library gives.
func (l *loader) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, rest[i+2:]
			}
		}
	}
	off := -1
	switch {
	case strings.HasPrefix(msg, "unknown anchor '"):
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		off = bytes.Index(l.src, []byte("*"+name))
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters"):
		off = badChar(l.src)
	}
	var pos Pos
	if off >= 0 {
		pos = l.idx.pos(l.name, off)
	} else {
		for _, p := range parserProblems {
			if strings.HasPrefix(msg, p) {
				line++
				break
			}
		}
		line = max(line, 1)
		line = min(line, len(l.idx.lines))
		pos = l.idx.pos(l.name, int(l.idx.lines[line-1]))
	}
	l.errs.Errorf(pos, CodeYAMLSyntax, "invalid YAML: %s", msg)
}

// badChar returns the offset of the first byte that is not valid UTF-8 or
// is a control character YAML does not allow, or -1.
func badChar(src []byte) int {
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7F {
			return i
		}
		i += n
	}
	return -1
}

// document reads the items of one YAML document.
func (l *loader) document(doc *yaml.Node) {
	if len(doc.Content) == 0 {
		return
	}
	raw := doc.Content[0]
	root := l.resolve(raw)
	l.checkSchema(raw)
	switch {
	case isNull(root):
		return
	case root.Kind == yaml.MappingNode:
		l.errs.Errorf(l.nodePos(raw), CodeYAMLStructure, "Rules content is not yaml array of objects")
		return
	case root.Kind != yaml.SequenceNode:
		l.errs.Errorf(l.nodePos(raw), CodeYAMLStructure, "Rules content is not yaml")
		return
	}
	for _, el := range root.Content {
		if l.over {
			return
		}
		n := l.resolve(el)
		switch {
		case isNull(n):
		case n.Kind != yaml.MappingNode:
			l.errs.Errorf(l.nodePos(el), CodeYAMLStructure, "Unexpected element type. Each element should be a yaml associative array.")
		default:
			l.item(n)
		}
	}
}

// Keys each item kind knows; any other key draws a warning.
var (
	engineVersionKeys  = []string{"required_engine_version"}
	pluginVersionsKeys = []string{"required_plugin_versions"}
	listKeys           = []string{"list", "items", "append", "override"}
	macroKeys          = []string{"macro", "condition", "append", "override"}
	ruleKeys           = []string{
		"rule", "condition", "output", "desc", "priority", "source", "enabled", "tags",
		"exceptions", "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration",
		"append", "override",
	}
)

// item classifies one top-level map by its keys, in Falco's order, and
// decodes it.
func (l *loader) item(n *yaml.Node) {
	m := l.mapping(n)
	var it Item
	var known []string
	switch {
	case m.has("required_engine_version"):
		it, known = l.engineVersion(m), engineVersionKeys
	case m.has("required_plugin_versions"):
		it, known = l.pluginVersions(m), pluginVersionsKeys
	case m.has("list"):
		it, known = l.list(m), listKeys
	case m.has("macro"):
		it, known = l.macro(m), macroKeys
	case m.has("rule"):
		it, known = l.rule(m), ruleKeys
	default:
		l.errs.Warnf(m.pos, CodeUnknownItem, "Unknown top level item")
		l.file.Items = append(l.file.Items, &UnknownItem{ItemPos: m.pos, Keys: m.keys()})
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		name, _ := keyName(l.resolve(k))
		if !contains(known, name) {
			l.errs.Warnf(l.nodePos(k), CodeUnknownKey, "Unknown key '%s'. The key will be ignored.", name)
		}
	}
	l.file.Items = append(l.file.Items, it)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (l *loader) engineVersion(m *mapping) *EngineVersionItem {
	// Falco first tries an unsigned integer, then a string; both report
	// the same errors for a missing, null, non-scalar or empty value.
	return &EngineVersionItem{ItemPos: m.pos, Version: l.str(m, "required_engine_version", true)}
}

func (l *loader) pluginVersions(m *mapping) *PluginVersionsItem {
	x := &PluginVersionsItem{ItemPos: m.pos}
	e, _ := m.get("required_plugin_versions")
	v := l.resolve(e.val)
	if v.Kind != yaml.SequenceNode {
		l.errs.Errorf(l.nodePos(e.val), CodeYAMLStructure, "Value of required_plugin_versions must be a sequence")
		return x
	}
	for _, el := range v.Content {
		if l.over {
			break
		}
		p := l.resolve(el)
		if p.Kind != yaml.MappingNode {
			l.errs.Errorf(l.nodePos(el), CodeYAMLStructure, "Plugin version must be a mapping")
			continue
		}
		pm := l.mapping(p)
		req := PluginRequirement{Pos: pm.pos, Name: l.str(pm, "name", true), Version: l.str(pm, "version", true)}
		if a, ok := pm.get("alternatives"); ok {
			av := l.resolve(a.val)
			if av.Kind != yaml.SequenceNode {
				l.errs.Errorf(l.nodePos(a.val), CodeYAMLStructure, "Value of plugin version alternatives must be a sequence")
			} else {
				for _, ael := range av.Content {
					if l.over {
						break
					}
					an := l.resolve(ael)
					if an.Kind != yaml.MappingNode {
						l.errs.Errorf(l.nodePos(ael), CodeYAMLStructure, "Plugin version alternative must be a mapping")
						continue
					}
					am := l.mapping(an)
					req.Alternatives = append(req.Alternatives, PluginRequirement{
						Pos: am.pos, Name: l.str(am, "name", true), Version: l.str(am, "version", true),
					})
				}
			}
		}
		x.Entries = append(x.Entries, req)
	}
	return x
}

func (l *loader) list(m *mapping) *ListItem {
	x := &ListItem{ItemPos: m.pos, Keys: m.keys()}
	x.Name = l.str(m, "list", true)
	x.Items, x.ItemsSet, x.ItemsPos = l.scalars(m, "items", true)
	x.Append = l.boolean(m, "append", false)
	x.Override = l.overrides(m)
	return x
}

func (l *loader) macro(m *mapping) *MacroItem {
	x := &MacroItem{ItemPos: m.pos, Keys: m.keys()}
	x.Name = l.str(m, "macro", true)
	x.Condition = l.str(m, "condition", true)
	x.Append = l.boolean(m, "append", false)
	x.Override = l.overrides(m)
	return x
}

// Rule keys an override may append to or replace.
var (
	appendableKeys  = []string{"condition", "output", "desc", "tags", "exceptions"}
	replaceableKeys = []string{
		"condition", "output", "desc", "priority", "capture", "capture_duration", "tags",
		"exceptions", "enabled", "warn_evttypes", "skip-if-unknown-filter",
	}
	// ruleFieldOrder is the order in which Falco decodes a new rule's keys.
	ruleFieldOrder = []string{
		"condition", "output", "desc", "priority", "source", "enabled", "warn_evttypes",
		"skip-if-unknown-filter", "capture", "capture_duration", "tags", "exceptions",
	}
)

// rule decodes a rule item. Which keys Falco reads depends on what the
// item does, and keys it does not read are not decoded (they stay in
// Keys):
//   - with a non-empty override map: only the keys it names with a valid
//     operation, and source;
//   - with append: true: condition, exceptions and source;
//   - with none of condition, output, desc and priority: only enabled,
//     which is then required (the deprecated standalone form);
//   - otherwise a full definition, whose condition, output, desc and
//     priority are required.
//
// On an appending or overriding item an empty or null source is allowed.
func (l *loader) rule(m *mapping) *RuleItem {
	x := &RuleItem{ItemPos: m.pos, Keys: m.keys()}
	x.Name = l.str(m, "rule", true)
	x.Append = l.boolean(m, "append", false)
	x.Override = l.overrides(m)
	var appended, replaced []string
	for _, o := range x.Override.Entries {
		switch {
		case o.Op == "append" && contains(appendableKeys, o.Key):
			appended = append(appended, o.Key)
		case o.Op == "replace" && contains(replaceableKeys, o.Key):
			replaced = append(replaced, o.Key)
		}
	}
	// Falco either fails on a non-empty override map or takes the item as
	// an override; the checker reports the failure, the loader reads the
	// item as an override either way.
	overriding := false
	if e, ok := m.get("override"); ok {
		v := l.resolve(e.val)
		overriding = v.Kind == yaml.MappingNode && len(v.Content) > 0
	}
	switch {
	case overriding:
		for _, key := range ruleFieldOrder {
			if !m.has(key) {
				continue
			}
			switch {
			case contains(appended, key):
				l.ruleField(x, m, key, true)
			case contains(replaced, key):
				l.ruleField(x, m, key, false)
			}
		}
		x.Source = l.looseSource(m)
	case x.Append.Value:
		if m.has("condition") {
			l.ruleField(x, m, "condition", true)
		}
		if m.has("exceptions") {
			l.ruleField(x, m, "exceptions", true)
		}
		x.Source = l.looseSource(m)
	case !m.has("condition") && !m.has("output") && !m.has("desc") && !m.has("priority"):
		x.Enabled = l.boolean(m, "enabled", true)
	default:
		for _, key := range ruleFieldOrder {
			l.ruleField(x, m, key, false)
		}
	}
	return x
}

// ruleField decodes one key of a rule. appending tells how exceptions are
// read: an appended exception may leave out its fields.
func (l *loader) ruleField(x *RuleItem, m *mapping, key string, appending bool) {
	switch key {
	case "condition":
		x.Condition = l.str(m, key, true)
	case "output":
		x.Output = l.str(m, key, true)
	case "desc":
		x.Desc = l.str(m, key, true)
	case "priority":
		x.Priority = l.str(m, key, true)
	case "source":
		x.Source = l.str(m, key, false)
	case "enabled":
		x.Enabled = l.boolean(m, key, false)
	case "warn_evttypes":
		x.WarnEvttypes = l.boolean(m, key, false)
	case "skip-if-unknown-filter":
		x.SkipIfUnknownFilter = l.boolean(m, key, false)
	case "capture":
		x.Capture = l.boolean(m, key, false)
	case "capture_duration":
		x.CaptureDuration = l.uint32(m, key)
	case "tags":
		x.Tags, x.TagsSet, x.TagsPos = l.scalars(m, key, false)
	case "exceptions":
		l.exceptions(x, m, appending)
	}
}

// looseSource reads source the way an appending or overriding item does:
// absent, null and empty are all fine.
func (l *loader) looseSource(m *mapping) Scalar {
	e, ok := m.get("source")
	if !ok {
		return Scalar{}
	}
	v := l.resolve(e.val)
	if v.Kind != yaml.ScalarNode {
		l.errs.Errorf(l.nodePos(e.val), CodeYAMLStructure, "Value is not a scalar value")
		return Scalar{Pos: l.nodePos(e.val), Set: true}
	}
	return l.scalar(v, m.indent)
}

// exceptions reads a rule's exceptions list.
func (l *loader) exceptions(x *RuleItem, m *mapping, appending bool) {
	e, ok := m.get("exceptions")
	if !ok {
		return
	}
	x.ExceptionsSet, x.ExceptionsPos = true, l.nodePos(e.val)
	v := l.resolve(e.val)
	if isNull(v) {
		return
	}
	if v.Kind != yaml.SequenceNode {
		l.errs.Errorf(l.nodePos(e.val), CodeYAMLStructure, "Rule exceptions must be a sequence")
		return
	}
	for _, el := range v.Content {
		if l.over {
			return
		}
		n := l.resolve(el)
		if n.Kind != yaml.MappingNode {
			l.errs.Errorf(l.nodePos(el), CodeYAMLStructure, "Rule exception must be a mapping")
			continue
		}
		em := l.mapping(n)
		ex := Exception{Pos: em.pos, Keys: em.keys()}
		ex.Name = l.str(em, "name", true)
		ex.Fields, ex.FieldsList, ex.FieldsSet = l.exceptionEntry(em, "fields", appending)
		ex.Comps, ex.CompsList, ex.CompsSet = l.exceptionEntry(em, "comps", true)
		if ve, ok := em.get("values"); ok {
			ex.ValuesSet, ex.ValuesPos = true, l.nodePos(ve.val)
			vals := l.resolve(ve.val)
			if vals.Kind != yaml.SequenceNode {
				l.errs.Errorf(l.nodePos(ve.val), CodeYAMLStructure, "Rule exception values must be a sequence")
			} else {
				for _, vel := range vals.Content {
					if l.over {
						break
					}
					ex.Values = append(ex.Values, l.exceptionValue(vel, em.indent))
				}
			}
		}
		x.Exceptions = append(x.Exceptions, ex)
	}
}

// exceptionEntry reads an exception's fields or comps: one scalar or a
// sequence of scalars.
func (l *loader) exceptionEntry(m *mapping, key string, optional bool) (list []Scalar, isList, set bool) {
	e, ok := m.get(key)
	if !ok {
		if !optional {
			l.errs.Errorf(m.pos, CodeMissingKey, "Item has no mapping for key '%s'", key)
		}
		return nil, false, false
	}
	v := l.resolve(e.val)
	switch v.Kind {
	case yaml.ScalarNode:
		return []Scalar{l.exceptionScalar(v, m.indent)}, false, true
	case yaml.SequenceNode:
		list = make([]Scalar, 0, len(v.Content))
		for _, el := range v.Content {
			if l.over {
				break
			}
			list = append(list, l.exceptionLeaf(el, m.indent))
		}
		return list, true, true
	}
	l.errs.Errorf(l.nodePos(e.val), CodeYAMLStructure, "Value must be a scalar or a sequence")
	return nil, false, true
}

// exceptionValue reads one entry of an exception's values: a scalar, or a
// tuple whose elements are scalars or lists of scalars.
func (l *loader) exceptionValue(raw *yaml.Node, indent int) ExceptionValue {
	n := l.resolve(raw)
	ev := ExceptionValue{Pos: l.nodePos(raw)}
	switch n.Kind {
	case yaml.ScalarNode:
		ev.Scalar = l.exceptionScalar(n, indent)
	case yaml.SequenceNode:
		ev.IsList = true
		ev.Tuple = make([]ExceptionElem, 0, len(n.Content))
		for _, el := range n.Content {
			if l.over {
				break
			}
			en := l.resolve(el)
			elem := ExceptionElem{Pos: l.nodePos(el)}
			switch en.Kind {
			case yaml.ScalarNode:
				elem.Scalar = l.exceptionScalar(en, indent)
			case yaml.SequenceNode:
				elem.IsList = true
				elem.List = make([]Scalar, 0, len(en.Content))
				for _, lel := range en.Content {
					if l.over {
						break
					}
					elem.List = append(elem.List, l.exceptionLeaf(lel, indent))
				}
			default:
				l.errs.Errorf(elem.Pos, CodeYAMLStructure, "Value must be a scalar or a sequence")
			}
			ev.Tuple = append(ev.Tuple, elem)
		}
	default:
		l.errs.Errorf(ev.Pos, CodeYAMLStructure, "Value must be a scalar or a sequence")
	}
	return ev
}

// exceptionLeaf reads an element of a list inside an exception, which
// must be a scalar.
func (l *loader) exceptionLeaf(raw *yaml.Node, indent int) Scalar {
	n := l.resolve(raw)
	if n.Kind != yaml.ScalarNode {
		l.errs.Errorf(l.nodePos(raw), CodeYAMLStructure, "sequence value is not scalar")
		return Scalar{Pos: l.nodePos(raw), Set: true}
	}
	return l.exceptionScalar(n, indent)
}

// exceptionScalar reads a scalar inside an exception. Falco rejects an
// empty string there; a null passes as an empty value.
func (l *loader) exceptionScalar(n *yaml.Node, indent int) Scalar {
	s := l.scalar(n, indent)
	if !s.Null && s.Value == "" {
		l.errs.Errorf(s.Pos, CodeMissingKey, "Value must be non-empty")
	}
	return s
}

// overrides reads an item's override map. Like yaml-cpp iteration it keeps
// duplicate keys; a null operation reads as "null", as yaml-cpp's string
// conversion gives.
func (l *loader) overrides(m *mapping) Overrides {
	e, ok := m.get("override")
	if !ok {
		return Overrides{}
	}
	o := Overrides{Pos: l.nodePos(e.val), Set: true}
	v := l.resolve(e.val)
	switch v.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, op := l.resolve(v.Content[i]), l.resolve(v.Content[i+1])
			if k.Kind != yaml.ScalarNode {
				l.errs.Errorf(l.nodePos(v.Content[i]), CodeYAMLStructure, "Value is not a scalar value")
				continue
			}
			if op.Kind != yaml.ScalarNode {
				l.errs.Errorf(l.nodePos(v.Content[i+1]), CodeYAMLStructure, "Value is not a scalar value")
				continue
			}
			o.Entries = append(o.Entries, Override{
				Key:    scalarString(k),
				KeyPos: l.nodePos(v.Content[i]),
				Op:     scalarString(op),
				OpPos:  l.nodePos(v.Content[i+1]),
			})
		}
	case yaml.SequenceNode:
		if len(v.Content) > 0 {
			l.errs.Errorf(o.Pos, CodeYAMLStructure, "Value of override must be a mapping")
		}
	}
	return o
}

// scalarString is yaml-cpp's string conversion of a scalar: its text, or
// "null" for a null.
func scalarString(n *yaml.Node) string {
	if isNull(n) {
		return "null"
	}
	return n.Value
}

// str decodes key as a string the way Falco's decode_val does.
func (l *loader) str(m *mapping, key string, required bool) Scalar {
	s, _ := l.value(m, key, required)
	return s
}

// boolean decodes key as a bool with yaml-cpp's rules.
func (l *loader) boolean(m *mapping, key string, required bool) Bool {
	s, ok := l.value(m, key, required)
	if !s.Set {
		return Bool{}
	}
	b := Bool{Pos: s.Pos, Set: true}
	if ok {
		v, good := ParseBool(s.Value)
		if !good {
			l.errs.Errorf(s.Pos, CodeBadValue, "Can't decode YAML scalar value")
		}
		b.Value = v
	}
	return b
}

// uint32 checks that key decodes as an unsigned 32-bit integer; the value
// is kept as text.
func (l *loader) uint32(m *mapping, key string) Scalar {
	s, ok := l.value(m, key, false)
	if ok {
		if _, good := ParseUint32(s.Value); !good {
			l.errs.Errorf(s.Pos, CodeBadValue, "Can't decode YAML scalar value")
		}
	}
	return s
}

// value reads key as a scalar with the checks Falco's decode_val makes
// before converting it: present (if required), not null, a scalar, not
// empty. ok reports that all of them passed.
func (l *loader) value(m *mapping, key string, required bool) (s Scalar, ok bool) {
	e, found := m.get(key)
	if !found {
		if required {
			l.errs.Errorf(m.pos, CodeMissingKey, "Item has no mapping for key '%s'", key)
		}
		return Scalar{}, false
	}
	v := l.resolve(e.val)
	switch {
	case isNull(v):
		l.errs.Errorf(e.keyPos, CodeMissingKey, "Mapping for key '%s' is empty", key)
		return Scalar{Pos: l.nodePos(e.val), Set: true, Null: true}, false
	case v.Kind != yaml.ScalarNode:
		l.errs.Errorf(l.nodePos(e.val), CodeYAMLStructure, "Value is not a scalar value")
		return Scalar{Pos: l.nodePos(e.val), Set: true}, false
	}
	s = l.scalar(v, m.indent)
	if s.Value == "" {
		l.errs.Errorf(s.Pos, CodeMissingKey, "Value must be non-empty")
		return s, false
	}
	return s, true
}

// scalars reads key as a sequence of scalars (list items, rule tags).
func (l *loader) scalars(m *mapping, key string, required bool) (list []Scalar, set bool, pos Pos) {
	e, found := m.get(key)
	if !found {
		if required {
			l.errs.Errorf(m.pos, CodeMissingKey, "Item has no mapping for key '%s'", key)
		}
		return nil, false, Pos{}
	}
	pos = l.nodePos(e.val)
	v := l.resolve(e.val)
	if v.Kind != yaml.SequenceNode {
		l.errs.Errorf(pos, CodeYAMLStructure, "Value is not a sequence")
		return nil, true, pos
	}
	list = make([]Scalar, 0, len(v.Content))
	for _, el := range v.Content {
		if l.over {
			break
		}
		n := l.resolve(el)
		if n.Kind != yaml.ScalarNode || isNull(n) {
			l.errs.Errorf(l.nodePos(el), CodeYAMLStructure, "sequence value is not scalar")
			continue
		}
		list = append(list, l.scalar(n, m.indent))
	}
	return list, true, pos
}

// mapping is a YAML map with its keys looked up the way yaml-cpp does:
// by the text of scalar keys, first occurrence winning.
type mapping struct {
	pos     Pos
	indent  int // indentation of the map's keys, -1 for a flow map
	entries []entry
}

type entry struct {
	name   string
	keyPos Pos
	val    *yaml.Node // as written: may be an alias
}

func (l *loader) mapping(n *yaml.Node) *mapping {
	m := &mapping{pos: l.nodePos(n), indent: n.Column - 1, entries: make([]entry, 0, len(n.Content)/2)}
	if n.Style&yaml.FlowStyle != 0 {
		m.indent = -1
	}
	// Item maps are small; a large one gets a set for the duplicate check
	// so that it does not take quadratic time.
	var seen map[string]bool
	if len(n.Content) > 64 {
		seen = make(map[string]bool, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, ok := keyName(l.resolve(n.Content[i]))
		if ok {
			if seen != nil && seen[name] || seen == nil && m.has(name) {
				continue
			}
			if seen != nil {
				seen[name] = true
			}
		}
		if !ok {
			name = ""
		}
		m.entries = append(m.entries, entry{name: name, keyPos: l.nodePos(n.Content[i]), val: n.Content[i+1]})
	}
	return m
}

// keyName returns the text of a scalar key; ok is false for a key that is
// a map or a sequence, which no lookup can match.
func keyName(k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		return "", false
	}
	return k.Value, true
}

func (m *mapping) get(name string) (entry, bool) {
	for _, e := range m.entries {
		if e.name == name {
			return e, true
		}
	}
	return entry{}, false
}

func (m *mapping) has(name string) bool {
	_, ok := m.get(name)
	return ok
}

func (m *mapping) keys() Keys {
	ks := make(Keys, len(m.entries))
	for i, e := range m.entries {
		ks[i] = Key{Name: e.name, Pos: e.keyPos}
	}
	return ks
}

// resolve follows an alias to the node it names, and counts the visit
// against the budget.
func (l *loader) resolve(n *yaml.Node) *yaml.Node {
	l.budget--
	if l.budget < 0 && !l.over {
		l.over = true
		l.errs.Errorf(l.nodePos(n), CodeYAMLStructure, "document contains excessive aliasing")
	}
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	if n.Kind == yaml.AliasNode {
		return &nullNode
	}
	return n
}

var nullNode = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}

// isNull reports whether n is a null: an empty plain scalar, ~ or null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" &&
		n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
}

// nodePos returns the position of n.
func (l *loader) nodePos(n *yaml.Node) Pos {
	return l.idx.pos(l.name, l.idx.yamlOffset(n.Line, n.Column))
}

// scalar decodes a scalar node, with the map from its bytes to the file.
// indent is the indentation of the collection holding it.
func (l *loader) scalar(n *yaml.Node, indent int) Scalar {
	start := l.idx.yamlOffset(n.Line, n.Column)
	if n.Style&yaml.TaggedStyle != 0 || n.Anchor != "" {
		start = skipProps(l.src, start)
	}
	s := Scalar{Pos: l.idx.pos(l.name, start), Value: n.Value, Set: true}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		s.Style = StyleDoubleQuoted
	case n.Style&yaml.SingleQuotedStyle != 0:
		s.Style = StyleSingleQuoted
	case n.Style&yaml.LiteralStyle != 0:
		s.Style = StyleLiteral
	case n.Style&yaml.FoldedStyle != 0:
		s.Style = StyleFolded
	}
	if isNull(n) {
		s.Null, s.Value = true, ""
		return s
	}
	if s.Value == "" {
		return s
	}
	if l.idx.approx {
		s.inexact = true
		return s
	}
	src, v := l.src, s.Value
	switch s.Style {
	case StylePlain:
		if start+len(v) <= len(src) && string(src[start:start+len(v)]) == v {
			return s
		}
	case StyleSingleQuoted, StyleDoubleQuoted:
		if end := start + 1 + len(v); end < len(src) && string(src[start+1:end]) == v && src[end] == src[start] {
			return s
		}
	}
	m := &l.m
	m.src, m.val, m.k, m.last, m.bad, m.segs = src, v, 0, 0, false, nil
	switch s.Style {
	case StylePlain:
		m.plain(start)
	case StyleSingleQuoted:
		m.single(start)
	case StyleDoubleQuoted:
		m.double(start)
	default:
		m.block(start, indent)
	}
	if m.bad || m.k != len(v) {
		s.inexact = true
		return s
	}
	for i := range m.segs {
		p := l.idx.pos(l.name, int(m.segs[i].off))
		m.segs[i].line, m.segs[i].col = int32(p.Line), int32(p.Col)
	}
	s.segs = m.segs
	m.segs = nil
	return s
}
