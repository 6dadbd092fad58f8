package check

import (
	"fmt"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

// DefaultEngineVersion is the Falco engine version Check emulates when
// Config.EngineVersion is empty (Falco master).
const DefaultEngineVersion = "0.63.0"

// Config selects the engine the rules are checked for. The zero value
// emulates Falco master with only the syscall source loaded.
type Config struct {
	// EngineVersion is the engine version required_engine_version is
	// checked against, as "x.y.z"; "" means DefaultEngineVersion.
	EngineVersion string
	// Sources lists the loaded event sources; nil means {"syscall"}.
	// Rules of other sources are kept but skipped with a warning. Only
	// the syscall source has a field catalog: rules of another listed
	// source have their lists, macros, exceptions and grammar resolved,
	// but their fields and outputs are not checked (their Info stays
	// empty and their output is one literal token).
	Sources []string
}

// version is a parsed x.y.z version.
type version struct {
	major, minor, patch uint64
}

func (v version) String() string { return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch) }

func (v version) less(w version) bool {
	if v.major != w.major {
		return v.major < w.major
	}
	if v.minor != w.minor {
		return v.minor < w.minor
	}
	return v.patch < w.patch
}

// compatibleWith reports whether an engine (or plugin) of version v
// satisfies a requirement of version req: same major, and v >= req.
func (v version) compatibleWith(req version) bool {
	return v.major == req.major && !v.less(req)
}

// parseVersion parses "x.y.z" the way libsinsp's sinsp_version does, with
// sscanf("%u.%u.%u"): each number may have leading blanks and a sign, and
// text after the third number is ignored.
func parseVersion(s string) (version, bool) {
	var parts [3]uint64
	i := 0
	for k := 0; k < 3; k++ {
		if k > 0 {
			if i >= len(s) || s[i] != '.' {
				return version{}, false
			}
			i++
		}
		n, next, ok := scanVersionPart(s, i)
		if !ok {
			return version{}, false
		}
		parts[k] = n
		i = next
	}
	return version{parts[0], parts[1], parts[2]}, true
}

// scanVersionPart reads an unsigned number like scanf's %u from s[i:]: leading
// white space, an optional sign, then decimal digits (a minus sign wraps
// around in 32 bits, as in C).
func scanVersionPart(s string, i int) (uint64, int, bool) {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var n uint64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + uint64(s[i]-'0')
		if n > 1<<32 {
			n = 1 << 32 // saturate; such versions never match anyway
		}
		i++
	}
	if i == start {
		return 0, i, false
	}
	n &= 0xffffffff
	if neg {
		n = (-n) & 0xffffffff
	}
	return n, i, true
}

// parseEngineVersion decodes a required_engine_version value: an unsigned
// integer N (decoded from the scalar text as yaml-cpp decodes a uint32)
// means 0.N.0; anything else must be an "x.y.z" version.
func parseEngineVersion(s string) (version, bool) {
	if n, ok := syntax.ParseUint32(s); ok {
		return version{0, uint64(n), 0}, true
	}
	return parseVersion(s)
}
