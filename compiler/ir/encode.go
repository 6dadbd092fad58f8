package ir

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Limits on what Decode accepts. A compiled ruleset comes from a registry,
// so it is untrusted input until its signature is checked, and even then a
// bug must not turn into unbounded memory use.
const (
	MaxEncodedSize = 64 << 20 // bytes
	MaxRules       = 100000
	MaxDepth       = 1000 // nesting of condition trees, as Falco's parser cap
	MaxNodes       = 4 << 20
)

// Errors Decode returns; test with errors.Is.
var (
	ErrVersion   = errors.New("unsupported compiled ruleset format version")
	ErrTooLarge  = errors.New("compiled ruleset exceeds limits")
	ErrMalformed = errors.New("malformed compiled ruleset")
)

// Encode returns the canonical encoding of p: compact JSON with fields in
// a fixed order and no maps, so equal programs encode to equal bytes.
func Encode(p *Program) ([]byte, error) {
	if p.Format == 0 {
		q := *p
		q.Format = FormatVersion
		p = &q
	}
	if p.Format != FormatVersion {
		return nil, fmt.Errorf("encode: %w %d", ErrVersion, p.Format)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Digest returns the OCI-style digest ("sha256:<hex>") of encoded bytes.
func Digest(encoded []byte) string {
	sum := sha256.Sum256(encoded)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Decode parses and validates an encoded program. It is strict: unknown
// fields, an unknown format version, malformed trees and anything over the
// limits are errors.
func Decode(data []byte) (*Program, error) {
	if len(data) > MaxEncodedSize {
		return nil, fmt.Errorf("decode: %w: %d bytes (limit %d)", ErrTooLarge, len(data), MaxEncodedSize)
	}
	// Read the version first, so that a future format gives a clear
	// error instead of an unknown-field complaint.
	var head struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("decode: %w: %v", ErrMalformed, err)
	}
	if head.Format == nil {
		return nil, fmt.Errorf("decode: %w: no format version", ErrMalformed)
	}
	if *head.Format != FormatVersion {
		return nil, fmt.Errorf("decode: %w %d (this build reads version %d)", ErrVersion, *head.Format, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Program
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode: %w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode: %w: trailing data after the program", ErrMalformed)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return &p, nil
}

var validOps = map[string]bool{
	"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"contains": true, "icontains": true, "bcontains": true, "startswith": true,
	"bstartswith": true, "endswith": true, "glob": true, "iglob": true,
	"regex": true, "in": true, "intersects": true, "pmatch": true, "exists": true,
}

var validTransformers = map[string]bool{
	"tolower": true, "toupper": true, "b64": true, "basename": true, "len": true,
	"join": true, "concat": true, "getopt": true,
}

// Validate checks the structural invariants of p: known version, operator
// and transformer names, tree shapes, priorities, sorted event codes, and
// the limits.
func (p *Program) Validate() error {
	if p.Format != FormatVersion {
		return fmt.Errorf("%w %d", ErrVersion, p.Format)
	}
	if len(p.Rules) > MaxRules {
		return fmt.Errorf("%w: %d rules (limit %d)", ErrTooLarge, len(p.Rules), MaxRules)
	}
	nodes := 0
	names := make(map[string]bool, len(p.Rules))
	for i := range p.Rules {
		r := &p.Rules[i]
		where := fmt.Sprintf("rule %d (%q)", i, r.Name)
		if r.Name == "" {
			return fmt.Errorf("%w: rule %d has no name", ErrMalformed, i)
		}
		if names[r.Name] {
			return fmt.Errorf("%w: %s defined twice", ErrMalformed, where)
		}
		names[r.Name] = true
		if !r.Priority.Valid() {
			return fmt.Errorf("%w: %s: invalid priority %d", ErrMalformed, where, r.Priority)
		}
		if r.Condition == nil {
			return fmt.Errorf("%w: %s has no condition", ErrMalformed, where)
		}
		if err := validateExpr(r.Condition, 0, &nodes); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if !slices.IsSorted(r.EventCodes) || len(slices.Compact(slices.Clone(r.EventCodes))) != len(r.EventCodes) {
			return fmt.Errorf("%w: %s: event codes not a sorted set", ErrMalformed, where)
		}
		if r.AllEvents && len(r.EventCodes) > 0 {
			return fmt.Errorf("%w: %s: both all events and an event-code set", ErrMalformed, where)
		}
		for j := range r.Output {
			t := &r.Output[j]
			if t.Field != nil {
				if err := validateOperand(t.Field, 0, &nodes); err != nil {
					return fmt.Errorf("%s output: %w", where, err)
				}
			}
			if t.Width < 0 {
				return fmt.Errorf("%w: %s output: negative width", ErrMalformed, where)
			}
		}
	}
	if !slices.IsSorted(p.Syscalls) {
		return fmt.Errorf("%w: syscall set not sorted", ErrMalformed)
	}
	return nil
}

func validateExpr(e *Expr, depth int, nodes *int) error {
	if e == nil {
		return fmt.Errorf("%w: nil expression", ErrMalformed)
	}
	if depth > MaxDepth {
		return fmt.Errorf("%w: condition nesting deeper than %d", ErrTooLarge, MaxDepth)
	}
	if *nodes++; *nodes > MaxNodes {
		return fmt.Errorf("%w: more than %d nodes", ErrTooLarge, MaxNodes)
	}
	switch e.Kind {
	case KindAnd, KindOr:
		if len(e.Args) < 2 || e.Check != nil {
			return fmt.Errorf("%w: %s needs two or more operands", ErrMalformed, e.Kind)
		}
	case KindNot:
		if len(e.Args) != 1 || e.Check != nil {
			return fmt.Errorf("%w: not needs one operand", ErrMalformed)
		}
	case KindCheck:
		if len(e.Args) != 0 || e.Check == nil {
			return fmt.Errorf("%w: check without a comparison", ErrMalformed)
		}
		c := e.Check
		if !validOps[c.Op] {
			return fmt.Errorf("%w: unknown operator %q", ErrMalformed, c.Op)
		}
		switch c.Modifier {
		case "", "oneof", "anyof", "allof":
		default:
			return fmt.Errorf("%w: unknown modifier %q", ErrMalformed, c.Modifier)
		}
		if err := validateOperand(&c.Left, depth+1, nodes); err != nil {
			return err
		}
		if c.Right != nil {
			if len(c.Values) > 0 {
				return fmt.Errorf("%w: check has both values and a right-hand field", ErrMalformed)
			}
			if err := validateOperand(c.Right, depth+1, nodes); err != nil {
				return err
			}
		}
		if c.Op == "exists" && (c.Right != nil || len(c.Values) > 0) {
			return fmt.Errorf("%w: exists takes no value", ErrMalformed)
		}
		return nil
	default:
		return fmt.Errorf("%w: unknown expression kind %q", ErrMalformed, e.Kind)
	}
	for _, a := range e.Args {
		if err := validateExpr(a, depth+1, nodes); err != nil {
			return err
		}
	}
	return nil
}

func validateOperand(o *Operand, depth int, nodes *int) error {
	if o == nil {
		return fmt.Errorf("%w: nil operand", ErrMalformed)
	}
	if depth > MaxDepth {
		return fmt.Errorf("%w: operand nesting deeper than %d", ErrTooLarge, MaxDepth)
	}
	if *nodes++; *nodes > MaxNodes {
		return fmt.Errorf("%w: more than %d nodes", ErrTooLarge, MaxNodes)
	}
	switch {
	case o.IsLiteral:
		if o.Field != "" || o.Transformer != "" || len(o.Args) > 0 {
			return fmt.Errorf("%w: literal operand with a field or arguments", ErrMalformed)
		}
	case o.IsList:
		if o.Field != "" || o.Transformer != "" {
			return fmt.Errorf("%w: list operand with a field", ErrMalformed)
		}
	case o.Transformer != "":
		if !validTransformers[o.Transformer] {
			return fmt.Errorf("%w: unknown transformer %q", ErrMalformed, o.Transformer)
		}
		if o.Field != "" || len(o.Args) == 0 {
			return fmt.Errorf("%w: transformer %s needs arguments and no field", ErrMalformed, o.Transformer)
		}
	default:
		if o.Field == "" {
			return fmt.Errorf("%w: operand names no field", ErrMalformed)
		}
		if len(o.Args) > 0 {
			return fmt.Errorf("%w: field %s with arguments", ErrMalformed, o.Field)
		}
	}
	for _, a := range o.Args {
		if err := validateOperand(a, depth+1, nodes); err != nil {
			return err
		}
	}
	return nil
}
