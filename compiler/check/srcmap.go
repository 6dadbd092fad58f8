package check

import (
	"sort"
	"strings"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// A srcText is a piece of generated condition or output text together with
// a map from each of its byte offsets back to a position in a rule file.
//
// Falco builds conditions as strings: appended conditions are joined with a
// space, exceptions are rendered as text after the condition, and lists are
// substituted textually before parsing. A srcText follows each of those
// steps so that a parser error or a bad value found later still points at
// the byte the user wrote.
type srcText struct {
	text  string
	spans []span // sorted by off; span i covers [spans[i].off, spans[i+1].off)
}

// A span maps the text from off up to the next span either into a scalar
// (byte off of the text is byte base of sc.Value) or, for generated text,
// to the single position pos.
type span struct {
	off  int
	sc   *syntax.Scalar
	base int
	pos  syntax.Pos
}

// appendScalar appends the whole value of sc, mapped into sc.
func (t *srcText) appendScalar(sc *syntax.Scalar) {
	t.appendScalarPart(sc, 0, len(sc.Value))
}

// appendScalarPart appends sc.Value[from:to], mapped into sc.
func (t *srcText) appendScalarPart(sc *syntax.Scalar, from, to int) {
	if from >= to {
		return
	}
	t.spans = append(t.spans, span{off: len(t.text), sc: sc, base: from})
	t.text += sc.Value[from:to]
}

// appendText appends generated text s, mapped to the single position pos.
func (t *srcText) appendText(s string, pos syntax.Pos) {
	if s == "" {
		return
	}
	if n := len(t.spans); n > 0 && t.spans[n-1].sc == nil && t.spans[n-1].pos == pos {
		t.text += s
		return
	}
	t.spans = append(t.spans, span{off: len(t.text), pos: pos})
	t.text += s
}

// appendSrc appends another srcText with its map.
func (t *srcText) appendSrc(u *srcText) {
	base := len(t.text)
	for _, s := range u.spans {
		s.off += base
		t.spans = append(t.spans, s)
	}
	t.text += u.text
}

// posAt returns the file position of byte off of the text. An offset at or
// past the end maps to just after the last byte.
func (t *srcText) posAt(off int) syntax.Pos {
	if len(t.spans) == 0 {
		return syntax.Pos{}
	}
	if off < 0 {
		off = 0
	}
	i := sort.Search(len(t.spans), func(i int) bool { return t.spans[i].off > off }) - 1
	if i < 0 {
		i = 0
	}
	s := t.spans[i]
	if s.sc == nil {
		return s.pos
	}
	return s.sc.PosAt(s.base + off - s.off)
}

// slice returns the spans covering text[from:to], rebased so that from maps
// to offset at.
func (t *srcText) slice(from, to, at int) []span {
	if from >= to {
		return nil
	}
	i := sort.Search(len(t.spans), func(i int) bool { return t.spans[i].off > from }) - 1
	if i < 0 {
		i = 0
	}
	var out []span
	for ; i < len(t.spans) && t.spans[i].off < to; i++ {
		s := t.spans[i]
		start := s.off
		if start < from {
			if s.sc != nil {
				s.base += from - start
			}
			start = from
		}
		s.off = start - from + at
		out = append(out, s)
	}
	return out
}

// listDelims are the characters that may surround a list name for Falco
// to substitute it; listBlanks are swallowed around the name.
const (
	listBlanks = " \t\n\r"
	listDelims = listBlanks + "(),="
)

func isListDelim(c byte) bool { return strings.IndexByte(listDelims, c) >= 0 }
func isListBlank(c byte) bool { return strings.IndexByte(listBlanks, c) >= 0 }

// substitute replaces every delimited occurrence of name in the text with
// sub, exactly as Falco's resolve_list does (blank swallowing, the comma
// removal for an empty list, the surrounding spaces it adds and the
// position it resumes searching from). The substituted text maps to the
// position of the name it replaced. It reports whether anything was
// replaced.
func (t *srcText) substitute(name, sub string) bool {
	if name == "" {
		return false
	}
	used := false
	start := strings.Index(t.text, name)
	for start >= 0 {
		end := start + len(name)
		cnd := t.text
		if (start == 0 || isListDelim(cnd[start-1])) && (end >= len(cnd) || isListDelim(cnd[end])) {
			namePos := t.posAt(start)
			for start > 0 && isListBlank(cnd[start-1]) {
				start--
			}
			for end < len(cnd) && isListBlank(cnd[end]) {
				end++
			}
			if sub == "" {
				if start > 0 && cnd[start-1] == ',' {
					start--
				} else if end < len(cnd) && cnd[end] == ',' {
					end++
				}
			}
			var b strings.Builder
			b.Grow(len(cnd) + len(sub) + 2)
			var spans []span
			if start > 0 {
				b.WriteString(cnd[:start])
				b.WriteByte(' ')
				spans = append(spans, t.slice(0, start, 0)...)
				spans = append(spans, span{off: start, pos: namePos})
			} else {
				spans = append(spans, span{off: 0, pos: namePos})
			}
			b.WriteString(sub)
			b.WriteByte(' ')
			restAt := b.Len()
			b.WriteString(cnd[end:])
			spans = append(spans, t.slice(end, len(cnd), restAt)...)
			t.text = b.String()
			t.spans = spans
			start += len(sub) + 1
			used = true
		}
		next := strings.Index(t.text[min(start+1, len(t.text)):], name)
		if next < 0 {
			break
		}
		start = min(start+1, len(t.text)) + next
	}
	return used
}
