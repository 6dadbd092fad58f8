package syntax

// This file decodes scalars the way yaml-cpp (and so Falco) does, and maps
// every byte of a decoded scalar back to the byte of the file it came from.
//
// yaml-cpp does not type scalars by YAML 1.2 tags: a key asks for a bool,
// an integer or a string and the scalar's text is converted on demand, the
// same way whether it was quoted or not. ParseBool and ParseUint32 follow
// those conversions.
//
// Positions: the YAML library reports where a scalar starts, but a
// condition needs the position of any byte inside it, and decoding moves
// bytes around (folded line breaks, stripped indentation, escapes). The
// mapper below re-reads the scalar from the raw source with the YAML
// scanning rules, checks that it produces exactly the library's decoded
// value, and records where each decoded byte was read from.

import (
	"sort"
	"unicode/utf8"
)

// ParseBool decodes a boolean the way yaml-cpp's convert<bool> does: y/n,
// yes/no, true/false and on/off, written all lowercase, all UPPERCASE or
// Capitalized. Quoting does not matter to yaml-cpp, so callers pass the
// scalar's text whatever its style. ok is false for any other text.
func ParseBool(s string) (value, ok bool) {
	if !flexibleCase(s) {
		return false, false
	}
	switch lowerASCII(s) {
	case "y", "yes", "true", "on":
		return true, true
	case "n", "no", "false", "off":
		return false, true
	}
	return false, false
}

// flexibleCase reports whether s is all lowercase, or starts with an
// uppercase letter followed by only lowercase or only uppercase letters.
func flexibleCase(s string) bool {
	if s == "" || allIn(s, 'a', 'z') {
		return true
	}
	if s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	rest := s[1:]
	return allIn(rest, 'a', 'z') || allIn(rest, 'A', 'Z')
}

func allIn(s string, lo, hi byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < lo || s[i] > hi {
			return false
		}
	}
	return true
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// ParseUint32 decodes an unsigned 32-bit integer the way yaml-cpp does: the
// text is read by a C++ stream with the base taken from the prefix (0x or 0X
// for hexadecimal, a leading 0 for octal, decimal otherwise), an optional
// '+' sign, no leading white space and nothing but white space after the
// number. A '-' sign and values that overflow are rejected.
func ParseUint32(s string) (uint32, bool) {
	i := 0
	if i < len(s) && s[i] == '+' {
		i++
	}
	base := uint64(10)
	if i < len(s) && s[i] == '0' {
		base = 8
		if i+1 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') {
			base = 16
			i += 2
		}
	}
	start := i
	var v uint64
	for ; i < len(s); i++ {
		d, ok := digitVal(s[i])
		if !ok || d >= base {
			break
		}
		v = v*base + d
		if v > 1<<32-1 {
			return 0, false
		}
	}
	if i == start {
		return 0, false
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r':
		default:
			return 0, false
		}
	}
	return uint32(v), true
}

func digitVal(c byte) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// offsetSeg is a run of Value bytes read from consecutive file bytes on
// one line: Value[at] was read from file offset off, at line and col, and
// each following byte of the run from the next file byte.
type offsetSeg struct {
	at, line, col, off int32
}

// segPos returns the position of byte off of s.Value from s.segs.
func (s Scalar) segPos(off int) Pos {
	i := sort.Search(len(s.segs), func(i int) bool { return int(s.segs[i].at) > off }) - 1
	if i < 0 {
		i = 0
	}
	g := s.segs[i]
	d := off - int(g.at)
	return Pos{File: s.Pos.File, Line: int(g.line), Col: int(g.col) + d, Offset: int(g.off) + d}
}

// lineIndex converts between byte offsets and positions in one file.
type lineIndex struct {
	src []byte
	// lines holds the offset where each line starts; lines end at '\n'.
	lines []int32
	// ylines holds the offset where each line starts as the YAML library
	// counts lines: it also breaks lines at a lone '\r' and at the Unicode
	// line breaks NEL, LS and PS. It is lines itself when the file has none.
	ylines []int32
	// approx is set for UTF-16 files, whose columns the YAML library counts
	// in a text we do not have; positions are then only approximate.
	approx bool
	// ascii is set when the file has no multi-byte characters, so that
	// columns are byte counts.
	ascii bool
	// last caches the previous yamlOffset conversion: lookups mostly go
	// forward along a line, and walking a long line from its start for
	// every node would take quadratic time.
	lastLine, lastCol, lastOff int
}

func newLineIndex(src []byte) *lineIndex {
	x := &lineIndex{src: src, ascii: true}
	n := 1
	other := false
	for i, c := range src {
		switch {
		case c == '\n':
			n++
		case c == '\r':
			other = true
		case c >= utf8.RuneSelf:
			x.ascii = false
			if breakLen(src, i) > 0 {
				other = true
			}
		}
	}
	x.lines = make([]int32, 1, n)
	for i, c := range src {
		if c == '\n' {
			x.lines = append(x.lines, int32(i+1))
		}
	}
	start := int32(0)
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		start = 3
	}
	if len(src) >= 2 && (src[0] == 0xFE && src[1] == 0xFF || src[0] == 0xFF && src[1] == 0xFE) {
		x.approx = true
	}
	if !other && start == 0 {
		x.ylines = x.lines
		return x
	}
	x.ylines = []int32{start}
	for i := int(start); i < len(src); {
		if n := breakLen(src, i); n > 0 {
			i += n
			x.ylines = append(x.ylines, int32(i))
			continue
		}
		i++
	}
	return x
}

// pos returns the position of byte offset off, clamped to the file.
func (x *lineIndex) pos(file string, off int) Pos {
	if off < 0 {
		off = 0
	}
	if off > len(x.src) {
		off = len(x.src)
	}
	i := sort.Search(len(x.lines), func(i int) bool { return int(x.lines[i]) > off }) - 1
	return Pos{File: file, Line: i + 1, Col: off - int(x.lines[i]) + 1, Offset: off}
}

// lineStart returns the offset of the first byte of the line holding off.
func (x *lineIndex) lineStart(off int) int {
	i := sort.Search(len(x.lines), func(i int) bool { return int(x.lines[i]) > off }) - 1
	return int(x.lines[i])
}

// yamlOffset converts a 1-based line and column as the YAML library reports
// them (columns count characters, not bytes) to a byte offset.
func (x *lineIndex) yamlOffset(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(x.ylines) {
		return len(x.src)
	}
	off := int(x.ylines[line-1])
	if x.ascii {
		end := len(x.src)
		if line < len(x.ylines) {
			end = int(x.ylines[line])
		}
		return min(off+max(col-1, 0), end)
	}
	want := col
	if line == x.lastLine && col >= x.lastCol {
		off, col = x.lastOff, col-x.lastCol+1
	}
	for col > 1 && off < len(x.src) && breakLen(x.src, off) == 0 {
		if x.src[off] < utf8.RuneSelf {
			off++
		} else {
			_, n := utf8.DecodeRune(x.src[off:])
			off += n
		}
		col--
	}
	x.lastLine, x.lastCol, x.lastOff = line, want-(col-1), off
	return off
}

// breakLen returns the length of the line break at src[i], or 0. Like the
// YAML library it knows CR LF, CR, LF, NEL, LS and PS.
func breakLen(src []byte, i int) int {
	if i >= len(src) {
		return 0
	}
	switch src[i] {
	case '\n':
		return 1
	case '\r':
		if i+1 < len(src) && src[i+1] == '\n' {
			return 2
		}
		return 1
	case 0xC2:
		if i+1 < len(src) && src[i+1] == 0x85 {
			return 2
		}
	case 0xE2:
		if i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xA8 || src[i+2] == 0xA9) {
			return 3
		}
	}
	return 0
}

func isBlank(src []byte, i int) bool {
	return i < len(src) && (src[i] == ' ' || src[i] == '\t')
}

// lineBreak is a line break inside a scalar: where it is and how many
// bytes it takes. LS and PS survive decoding as themselves; every other
// break decodes to '\n'.
type lineBreak struct {
	off, n int
}

func (b lineBreak) keeps(src []byte) bool { return src[b.off] == 0xE2 }

// mapper re-reads one scalar from the source and records, for each byte
// of the expected decoded value, the offset it was read from.
type mapper struct {
	src  []byte
	val  string
	k    int // next byte of val to map
	last int // source offset of byte k-1
	bad  bool
	segs []offsetSeg // line and col are filled in by finish

	ws       []int // pending white space (offsets)
	trailing []lineBreak
}

// put maps the next value byte, which must be b, to source offset off.
func (m *mapper) put(b byte, off int) {
	if m.bad || m.k >= len(m.val) || m.val[m.k] != b {
		m.bad = true
		return
	}
	if m.k == 0 || off != m.last+1 || m.src[m.last] == '\n' || m.src[m.last] == '\r' {
		m.segs = append(m.segs, offsetSeg{at: int32(m.k), off: int32(off)})
	}
	m.last = off
	m.k++
}

// putBreak maps the bytes a line break decodes to.
func (m *mapper) putBreak(b lineBreak) {
	if b.keeps(m.src) {
		for j := 0; j < b.n; j++ {
			m.put(m.src[b.off+j], b.off)
		}
		return
	}
	m.put('\n', b.off)
}

func (m *mapper) done() bool { return m.bad || m.k >= len(m.val) }

// skipProps skips an anchor and a tag in front of a node's content, with
// the white space, line breaks and comments that may follow them.
func skipProps(src []byte, i int) int {
	for i < len(src) && (src[i] == '&' || src[i] == '!') {
		for i < len(src) && !isBlank(src, i) && breakLen(src, i) == 0 {
			i++
		}
	space:
		for i < len(src) {
			switch {
			case isBlank(src, i):
				i++
			case breakLen(src, i) > 0:
				i += breakLen(src, i)
			case src[i] == '#':
				for i < len(src) && breakLen(src, i) == 0 {
					i++
				}
			default:
				break space
			}
		}
	}
	return i
}

// flowBlanks reads the white space and line breaks at src[i] inside a
// plain or quoted scalar and maps what they decode to: white space inside
// a line is kept; a single line break folds into a space; n > 1 breaks
// become n-1 newlines; the white space around breaks is dropped. After an
// escaped line break (escaped) the first break is already consumed and
// every further break is kept.
func (m *mapper) flowBlanks(i int, escaped bool) int {
	m.ws = m.ws[:0]
	m.trailing = m.trailing[:0]
	leading := escaped
	var first lineBreak
	for {
		if isBlank(m.src, i) {
			if !leading {
				m.ws = append(m.ws, i)
			}
			i++
			continue
		}
		n := breakLen(m.src, i)
		if n == 0 {
			break
		}
		if !leading {
			m.ws = m.ws[:0]
			first = lineBreak{i, n}
			leading = true
		} else {
			m.trailing = append(m.trailing, lineBreak{i, n})
		}
		i += n
	}
	if m.done() {
		// A plain scalar ends here; its trailing blanks are not part of it.
		return i
	}
	switch {
	case !leading:
		for _, o := range m.ws {
			m.put(m.src[o], o)
		}
	case first.n > 0 && !first.keeps(m.src):
		if len(m.trailing) == 0 {
			m.put(' ', first.off)
		}
		for _, b := range m.trailing {
			m.putBreak(b)
		}
	default:
		if first.n > 0 {
			m.putBreak(first)
		}
		for _, b := range m.trailing {
			m.putBreak(b)
		}
	}
	return i
}

// plain maps a plain scalar starting at src[i].
func (m *mapper) plain(i int) {
	for !m.done() {
		if i >= len(m.src) {
			m.bad = true
			return
		}
		if isBlank(m.src, i) || breakLen(m.src, i) > 0 {
			i = m.flowBlanks(i, false)
			continue
		}
		m.put(m.src[i], i)
		i++
	}
}

// single maps a single-quoted scalar whose opening quote is at src[i].
func (m *mapper) single(i int) {
	if i >= len(m.src) || m.src[i] != '\'' {
		m.bad = true
		return
	}
	i++
	for !m.done() {
		switch {
		case i >= len(m.src):
			m.bad = true
		case m.src[i] == '\'':
			if i+1 < len(m.src) && m.src[i+1] == '\'' {
				m.put('\'', i)
				i += 2
			} else {
				m.bad = true
			}
		case isBlank(m.src, i) || breakLen(m.src, i) > 0:
			i = m.flowBlanks(i, false)
		default:
			m.put(m.src[i], i)
			i++
		}
	}
	if !m.bad && (i >= len(m.src) || m.src[i] != '\'') {
		m.bad = true
	}
}

// double maps a double-quoted scalar whose opening quote is at src[i].
func (m *mapper) double(i int) {
	if i >= len(m.src) || m.src[i] != '"' {
		m.bad = true
		return
	}
	i++
	var buf [4]byte
	for !m.done() {
		switch {
		case i >= len(m.src) || m.src[i] == '"':
			m.bad = true
		case m.src[i] == '\\':
			if n := breakLen(m.src, i+1); n > 0 {
				i = m.flowBlanks(i+1+n, true)
				continue
			}
			dec, n := unescape(m.src, i, buf[:0])
			if n == 0 {
				m.bad = true
				break
			}
			for _, b := range dec {
				m.put(b, i)
			}
			i += n
		case isBlank(m.src, i) || breakLen(m.src, i) > 0:
			i = m.flowBlanks(i, false)
		default:
			m.put(m.src[i], i)
			i++
		}
	}
	// Escaped line breaks before the closing quote decode to nothing.
	for !m.bad && i < len(m.src) && m.src[i] == '\\' && breakLen(m.src, i+1) > 0 {
		i += 1 + breakLen(m.src, i+1)
		for isBlank(m.src, i) {
			i++
		}
	}
	if !m.bad && (i >= len(m.src) || m.src[i] != '"') {
		m.bad = true
	}
}

// unescape decodes the escape sequence at src[i] (a backslash) into buf.
// It returns the decoded bytes and the length of the sequence, 0 if it is
// not a valid escape.
func unescape(src []byte, i int, buf []byte) ([]byte, int) {
	if i+1 >= len(src) {
		return nil, 0
	}
	var simple byte
	width := 0
	switch src[i+1] {
	case '0':
		simple = 0
	case 'a':
		simple = 7
	case 'b':
		simple = 8
	case 't', '\t':
		simple = 9
	case 'n':
		simple = 10
	case 'v':
		simple = 11
	case 'f':
		simple = 12
	case 'r':
		simple = 13
	case 'e':
		simple = 27
	case ' ', '"', '\'', '\\':
		simple = src[i+1]
	case 'N':
		return append(buf, 0xC2, 0x85), 2
	case '_':
		return append(buf, 0xC2, 0xA0), 2
	case 'L':
		return append(buf, 0xE2, 0x80, 0xA8), 2
	case 'P':
		return append(buf, 0xE2, 0x80, 0xA9), 2
	case 'x':
		width = 2
	case 'u':
		width = 4
	case 'U':
		width = 8
	default:
		return nil, 0
	}
	if width == 0 {
		return append(buf, simple), 2
	}
	if i+2+width > len(src) {
		return nil, 0
	}
	r := rune(0)
	for _, c := range src[i+2 : i+2+width] {
		d, ok := digitVal(c)
		if !ok {
			return nil, 0
		}
		r = r<<4 | rune(d)
	}
	if r >= 0xD800 && r <= 0xDFFF || r > 0x10FFFF {
		return nil, 0
	}
	return utf8.AppendRune(buf, r), 2 + width
}

// block maps a literal (|) or folded (>) block scalar whose indicator is
// at src[i]. parent is the indentation of the enclosing block collection
// (-1 at the top level), which an explicit indentation indicator adds to.
func (m *mapper) block(i, parent int) {
	src := m.src
	if i >= len(src) || src[i] != '|' && src[i] != '>' {
		m.bad = true
		return
	}
	literal := src[i] == '|'
	i++
	chomp, incr := 0, 0
	for n := 0; n < 2 && i < len(src); n++ {
		c := src[i]
		if c == '+' && chomp == 0 {
			chomp = 1
		} else if c == '-' && chomp == 0 {
			chomp = -1
		} else if c >= '1' && c <= '9' && incr == 0 {
			incr = int(c - '0')
		} else {
			break
		}
		i++
	}
	for isBlank(src, i) {
		i++
	}
	if i < len(src) && src[i] == '#' {
		for i < len(src) && breakLen(src, i) == 0 {
			i++
		}
	}
	if i < len(src) {
		n := breakLen(src, i)
		if n == 0 {
			m.bad = true
			return
		}
		i += n
	}
	indent := 0
	if incr > 0 {
		indent = incr
		if parent >= 0 {
			indent = parent + incr
		}
	}
	lineStart := i
	// breaks skips the indentation of empty lines and collects their
	// line breaks; it settles the indentation if it is not known yet.
	breaks := func() {
		max := 0
		for {
			for (indent == 0 || i-lineStart < indent) && i < len(src) && src[i] == ' ' {
				i++
			}
			if i-lineStart > max {
				max = i - lineStart
			}
			n := breakLen(src, i)
			if n == 0 {
				break
			}
			m.trailing = append(m.trailing, lineBreak{i, n})
			i += n
			lineStart = i
		}
		if indent == 0 {
			indent = max
			if indent < parent+1 {
				indent = parent + 1
			}
			if indent < 1 {
				indent = 1
			}
		}
	}
	m.trailing = m.trailing[:0]
	breaks()
	var leading lineBreak
	leadingBlank := false
	for i-lineStart == indent && i < len(src) && !m.done() {
		trailingBlank := isBlank(src, i)
		if !literal && !leadingBlank && !trailingBlank && leading.n > 0 && !leading.keeps(src) {
			if len(m.trailing) == 0 {
				m.put(' ', leading.off)
			}
		} else if leading.n > 0 {
			m.putBreak(leading)
		}
		for _, b := range m.trailing {
			m.putBreak(b)
		}
		m.trailing = m.trailing[:0]
		leadingBlank = isBlank(src, i)
		for i < len(src) && breakLen(src, i) == 0 && !m.done() {
			m.put(src[i], i)
			i++
		}
		if m.done() {
			break
		}
		leading = lineBreak{}
		if n := breakLen(src, i); n > 0 {
			leading = lineBreak{i, n}
			i += n
			lineStart = i
		}
		breaks()
	}
	if m.done() {
		return
	}
	if chomp != -1 && leading.n > 0 {
		m.putBreak(leading)
	}
	if chomp == 1 {
		for _, b := range m.trailing {
			m.putBreak(b)
		}
	}
}
