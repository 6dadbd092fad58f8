package eval

import (
	"strings"
)

// globMatch reports whether s matches the glob pattern as Falco's glob
// operator does (fnmatch without FNM_PATHNAME): '*' matches any run of
// bytes including '/', '?' one byte, '[...]' a class with ranges and '!'
// or '^' negation; a backslash escapes the next byte. fold makes the match
// ASCII case-insensitive (iglob).
func globMatch(pattern, s string, fold bool) bool {
	// Iterative matcher with one backtrack point for the last '*':
	// linear in practice, no allocation.
	px, sx := 0, 0
	starP, starS := -1, -1
	for sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				px++
				sx++
				continue
			case '[':
				if ok, next, valid := matchClass(pattern, px, s[sx], fold); valid {
					if ok {
						px = next
						sx++
						continue
					}
				} else if eqByte('[', s[sx], fold) { // unterminated: literal '['
					px++
					sx++
					continue
				}
			case '\\':
				if px+1 < len(pattern) && eqByte(pattern[px+1], s[sx], fold) {
					px += 2
					sx++
					continue
				}
			default:
				if eqByte(c, s[sx], fold) {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		px, sx = starP+1, starS
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// matchClass matches c against the class starting at pattern[i] == '['.
// It returns whether c is in the class, the index after the class, and
// whether the class is well formed.
func matchClass(pattern string, i int, c byte, fold bool) (match bool, next int, valid bool) {
	j := i + 1
	negate := false
	if j < len(pattern) && (pattern[j] == '!' || pattern[j] == '^') {
		negate = true
		j++
	}
	first := true
	for j < len(pattern) {
		lo := pattern[j]
		if lo == ']' && !first {
			return match != negate, j + 1, true
		}
		first = false
		if lo == '\\' && j+1 < len(pattern) {
			j++
			lo = pattern[j]
		}
		hi := lo
		if j+2 < len(pattern) && pattern[j+1] == '-' && pattern[j+2] != ']' {
			hi = pattern[j+2]
			j += 2
		}
		if inRange(c, lo, hi) || (fold && (inRange(lower(c), lower(lo), lower(hi)) || inRange(upper(c), upper(lo), upper(hi)))) {
			match = true
		}
		j++
	}
	return false, 0, false
}

func inRange(c, lo, hi byte) bool { return lo <= c && c <= hi }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func eqByte(a, b byte, fold bool) bool {
	return a == b || (fold && lower(a) == lower(b))
}

// indexFold returns the index of the first ASCII case-insensitive
// occurrence of needle (already lower-cased) in s, or -1. It does not
// allocate.
func indexFold(s, needleLower string) int {
	n := len(needleLower)
	if n == 0 {
		return 0
	}
	first := needleLower[0]
	for i := 0; i+n <= len(s); i++ {
		if lower(s[i]) != first {
			continue
		}
		j := 1
		for j < n && lower(s[i+j]) == needleLower[j] {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

// pathSet is the right-hand side of pmatch: a set of path prefixes,
// matched component by component, so /tmp/hello matches /tmp/hello/x but
// not /tmp/hello_world. A component may be a glob.
type pathSet struct {
	exact []string   // prefixes without glob characters, cleaned
	globs [][]string // prefixes with globs, split into components
}

func newPathSet(values []string) *pathSet {
	ps := &pathSet{}
	for _, v := range values {
		v = strings.TrimRight(v, "/")
		if v == "" {
			v = "/"
		}
		if strings.ContainsAny(v, "*?[") {
			ps.globs = append(ps.globs, splitPath(v))
		} else {
			ps.exact = append(ps.exact, v)
		}
	}
	return ps
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// match reports whether p lies at or below one of the prefixes.
func (ps *pathSet) match(p string) bool {
	for _, pre := range ps.exact {
		if pre == "/" {
			if strings.HasPrefix(p, "/") {
				return true
			}
			continue
		}
		if strings.HasPrefix(p, pre) && (len(p) == len(pre) || p[len(pre)] == '/') {
			return true
		}
	}
	if len(ps.globs) == 0 {
		return false
	}
	for _, g := range ps.globs {
		if matchComponents(g, p) {
			return true
		}
	}
	return false
}

// matchComponents matches the leading components of p against the glob
// components, without splitting p into a slice.
func matchComponents(globs []string, p string) bool {
	rest := strings.TrimLeft(p, "/")
	for _, g := range globs {
		if rest == "" {
			return false
		}
		comp := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			comp, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if !globMatch(g, comp, false) {
			return false
		}
	}
	return true
}
