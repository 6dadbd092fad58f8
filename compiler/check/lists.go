package check

import (
	"strings"
)

// compiledList is a list after Falco's one-level expansion.
type compiledList struct {
	info  *listInfo
	items []string
	sub   string // the substitution text: items quoted and joined with ", "
	used  bool
}

// listTable holds the compiled lists of one compilation, in definition
// order, with an index for fast substitution.
type listTable struct {
	lists []*compiledList
	// byWord maps the name of each list whose name holds no substitution
	// delimiter to its position in lists. Such a name can only match a
	// whole delimited word, so a condition only needs the lists whose
	// names are among its words.
	byWord map[string]int
	// odd holds the lists whose names contain delimiters; they are
	// always tried.
	odd []int
	// pending is scratch space for substitute.
	pending []bool
}

// compileLists expands every list one level: an item naming a list that
// was first defined before this list's last definition or append is
// replaced by that list's raw items.
func compileLists(col *collector) *listTable {
	lt := &listTable{byWord: make(map[string]int, len(col.lists))}
	for i, l := range col.lists {
		cl := &compiledList{info: l}
		for _, it := range l.items {
			if ref := col.listByName[it.Value]; ref != nil && ref.index < l.visibility {
				for _, v := range ref.items {
					cl.items = append(cl.items, v.Value)
				}
				continue
			}
			cl.items = append(cl.items, it.Value)
		}
		var b strings.Builder
		for k, v := range cl.items {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteItem(v))
		}
		cl.sub = b.String()
		lt.lists = append(lt.lists, cl)
		if strings.ContainsAny(l.name, listDelims) {
			lt.odd = append(lt.odd, i)
		} else {
			lt.byWord[l.name] = i
		}
	}
	// Expansion marks the referenced lists used.
	for _, l := range col.lists {
		for _, it := range l.items {
			if ref := col.listByName[it.Value]; ref != nil && ref.index < l.visibility {
				lt.lists[lt.byName(ref.name)].used = true
			}
		}
	}
	lt.pending = make([]bool, len(lt.lists))
	return lt
}

func (lt *listTable) byName(name string) int {
	if i, ok := lt.byWord[name]; ok {
		return i
	}
	for _, i := range lt.odd {
		if lt.lists[i].info.name == name {
			return i
		}
	}
	return -1
}

// eachWord calls f for every maximal run of non-delimiter bytes in s.
func eachWord(s string, f func(w string)) {
	start := -1
	for i := 0; i < len(s); i++ {
		if isListDelim(s[i]) {
			if start >= 0 {
				f(s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		f(s[start:])
	}
}

// substitute applies every list, in definition order, to the condition
// text t, as Falco does before parsing. The result is identical to trying
// each list in turn; lists whose names cannot occur are not tried.
func (lt *listTable) substitute(t *srcText) {
	if len(lt.lists) == 0 {
		return
	}
	pending := lt.pending
	for i := range pending {
		pending[i] = false
	}
	eachWord(t.text, func(w string) {
		if i, ok := lt.byWord[w]; ok {
			pending[i] = true
		}
	})
	for _, i := range lt.odd {
		pending[i] = true
	}
	for i := 0; i < len(pending); i++ {
		if !pending[i] {
			continue
		}
		l := lt.lists[i]
		if !t.substitute(l.info.name, l.sub) {
			continue
		}
		l.used = true
		// The inserted items may name lists that come later in
		// definition order; those are substituted too.
		eachWord(l.sub, func(w string) {
			if j, ok := lt.byWord[w]; ok && j > i {
				pending[j] = true
			}
		})
	}
}
