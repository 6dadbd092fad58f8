package bpf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The tests read events with this small decoder, checked against the event
// table of the scap format (testdata/scap-event-table.tsv), so that what the
// probe writes is what the format says.

type paramInfo struct{ name, typ string }

type eventInfo struct {
	code   uint16
	name   string
	params []paramInfo
}

// fixedSize is the encoded size of the fixed-width PT_* types.
var fixedSize = map[string]int{
	"INT8": 1, "UINT8": 1, "FLAGS8": 1, "ENUMFLAGS8": 1, "SIGTYPE": 1, "L4PROTO": 1, "SOCKFAMILY": 1,
	"INT16": 2, "UINT16": 2, "FLAGS16": 2, "ENUMFLAGS16": 2, "SYSCALLID": 2, "PORT": 2,
	"INT32": 4, "UINT32": 4, "FLAGS32": 4, "ENUMFLAGS32": 4, "BOOL": 4, "IPV4ADDR": 4, "UID": 4,
	"GID": 4, "SIGSET": 4, "MODE": 4, "FD32": 4, "PID32": 4,
	"INT64": 8, "UINT64": 8, "ERRNO": 8, "FD": 8, "PID": 8, "RELTIME": 8, "ABSTIME": 8, "DOUBLE": 8,
	"IPV6ADDR": 16,
}

var (
	tableOnce sync.Once
	table     map[uint16]eventInfo
	tableErr  error
)

// eventTable loads the scap event table.
func eventTable(tb testing.TB) map[uint16]eventInfo {
	tb.Helper()
	tableOnce.Do(func() { table, tableErr = readTable("testdata/scap-event-table.tsv") })
	if tableErr != nil {
		tb.Fatalf("event table: %v", tableErr)
	}
	return table
}

func readTable(path string) (map[uint16]eventInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[uint16]eventInfo{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 6 {
			return nil, fmt.Errorf("short line %q", line)
		}
		code, err := strconv.Atoi(cols[0])
		if err != nil {
			return nil, fmt.Errorf("code %q: %v", cols[0], err)
		}
		n, err := strconv.Atoi(cols[5])
		if err != nil {
			return nil, fmt.Errorf("nparams %q: %v", cols[5], err)
		}
		info := eventInfo{code: uint16(code), name: cols[2]}
		if len(cols) > 6 && cols[6] != "" {
			for _, p := range strings.Split(cols[6], ", ") {
				name, typ, ok := strings.Cut(p, ":")
				if !ok {
					return nil, fmt.Errorf("param %q", p)
				}
				info.params = append(info.params, paramInfo{name, typ})
			}
		}
		if len(info.params) != n {
			return nil, fmt.Errorf("event %d: %d params listed, nparams %d", code, len(info.params), n)
		}
		out[info.code] = info
	}
	return out, sc.Err()
}

// event is a decoded record.
type event struct {
	ts, tid uint64
	typ     uint16
	info    eventInfo
	params  [][]byte
}

// decodeEvent checks a record against the format and the table: header,
// 26 + 2*nparams + sum(len) == len, nparams as in the table, and every
// non-empty fixed-width param of its type's size.
func decodeEvent(rec []byte, tab map[uint16]eventInfo) (event, error) {
	if len(rec) < HeaderSize {
		return event{}, fmt.Errorf("record of %d bytes", len(rec))
	}
	le := binary.LittleEndian
	ev := event{ts: le.Uint64(rec[0:]), tid: le.Uint64(rec[8:]), typ: le.Uint16(rec[20:])}
	n := int(le.Uint32(rec[16:]))
	np := int(le.Uint32(rec[22:]))
	if n != len(rec) {
		return ev, fmt.Errorf("type %d: header len %d, record %d", ev.typ, n, len(rec))
	}
	info, ok := tab[ev.typ]
	if !ok {
		return ev, fmt.Errorf("unknown event type %d", ev.typ)
	}
	ev.info = info
	if np != len(info.params) {
		return ev, fmt.Errorf("%s (%d): nparams %d, table says %d", info.name, ev.typ, np, len(info.params))
	}
	off := HeaderSize + 2*np
	if off > len(rec) {
		return ev, fmt.Errorf("%s: lengths past the end", info.name)
	}
	for i := 0; i < np; i++ {
		l := int(le.Uint16(rec[HeaderSize+2*i:]))
		if off+l > len(rec) {
			return ev, fmt.Errorf("%s: param %d (%s) length %d past the end", info.name, i, info.params[i].name, l)
		}
		p := rec[off : off+l]
		if w, fixed := fixedSize[info.params[i].typ]; fixed && l != 0 && l != w {
			return ev, fmt.Errorf("%s: param %s of type %s has %d bytes, want %d", info.name, info.params[i].name, info.params[i].typ, l, w)
		}
		switch info.params[i].typ {
		case "CHARBUF", "FSPATH", "FSRELPATH":
			if l > 0 && p[l-1] != 0 {
				return ev, fmt.Errorf("%s: param %s is not NUL-terminated: %q", info.name, info.params[i].name, p)
			}
		}
		ev.params = append(ev.params, p)
		off += l
	}
	if off != len(rec) {
		return ev, fmt.Errorf("%s: params end at %d, record is %d bytes", info.name, off, len(rec))
	}
	return ev, nil
}

func (e event) index(name string) int {
	for i, p := range e.info.params {
		if p.name == name {
			return i
		}
	}
	panic(fmt.Sprintf("event %s has no param %q", e.info.name, name))
}

// raw returns a param's bytes by name.
func (e event) raw(name string) []byte { return e.params[e.index(name)] }

// int returns an integer param by name, sign-extended from its width.
func (e event) int(name string) int64 {
	p := e.raw(name)
	le := binary.LittleEndian
	switch len(p) {
	case 1:
		return int64(int8(p[0]))
	case 2:
		return int64(int16(le.Uint16(p)))
	case 4:
		return int64(int32(le.Uint32(p)))
	case 8:
		return int64(le.Uint64(p))
	}
	panic(fmt.Sprintf("%s: param %s has %d bytes", e.info.name, name, len(p)))
}

// uint returns an unsigned integer param by name.
func (e event) uint(name string) uint64 {
	p := e.raw(name)
	le := binary.LittleEndian
	switch len(p) {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(le.Uint16(p))
	case 4:
		return uint64(le.Uint32(p))
	case 8:
		return le.Uint64(p)
	}
	panic(fmt.Sprintf("%s: param %s has %d bytes", e.info.name, name, len(p)))
}

// str returns a string param by name without its NUL.
func (e event) str(name string) string {
	return string(bytes.TrimSuffix(e.raw(name), []byte{0}))
}

func (e event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s(%d) tid=%d", e.info.name, e.typ, e.tid)
	for i, p := range e.params {
		fmt.Fprintf(&b, " %s=", e.info.params[i].name)
		if w, ok := fixedSize[e.info.params[i].typ]; ok && len(p) == w {
			fmt.Fprintf(&b, "%d", e.int(e.info.params[i].name))
		} else {
			fmt.Fprintf(&b, "%q", p)
		}
	}
	return b.String()
}
