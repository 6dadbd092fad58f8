package scap_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/agent/scap"
)

var le = binary.LittleEndian

// blk frames body as a block of type bt: header, body, padding, trailer.
func blk(bt uint32, body []byte) []byte {
	n := 8 + len(body)
	pad := (4 - n%4) % 4
	total := n + pad + 4
	b := le.AppendUint32(nil, bt)
	b = le.AppendUint32(b, uint32(total))
	b = append(b, body...)
	b = append(b, make([]byte, pad)...)
	return le.AppendUint32(b, uint32(total))
}

func shbBody(magic uint32, major, minor uint16) []byte {
	b := le.AppendUint32(nil, magic)
	b = le.AppendUint16(b, major)
	b = le.AppendUint16(b, minor)
	return le.AppendUint64(b, ^uint64(0))
}

func shb() []byte { return blk(uint32(scap.BlockSHB), shbBody(scap.ByteOrderMagic, 1, 2)) }

// evBody encodes an EV V2 body: cpu, then the event header, u16 lengths
// and values.
func evBody(code scap.EventCode, ts uint64, tid int64, vals ...[]byte) []byte {
	n := 26 + 2*len(vals)
	for _, v := range vals {
		n += len(v)
	}
	b := le.AppendUint16(nil, 0)
	b = le.AppendUint64(b, ts)
	b = le.AppendUint64(b, uint64(tid))
	b = le.AppendUint32(b, uint32(n))
	b = le.AppendUint16(b, uint16(code))
	b = le.AppendUint32(b, uint32(len(vals)))
	for _, v := range vals {
		b = le.AppendUint16(b, uint16(len(v)))
	}
	for _, v := range vals {
		b = append(b, v...)
	}
	return b
}

func i64(v int64) []byte { return le.AppendUint64(nil, uint64(v)) }

// closeEv is a valid close exit event block.
func closeEv(ts uint64, fd int64) []byte {
	return blk(uint32(scap.BlockEVv2), evBody(scap.SyscallCloseX, ts, 10, i64(0), i64(fd)))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// patch returns a copy of b with v written at off.
func patch(b []byte, off int, v uint32) []byte {
	c := bytes.Clone(b)
	le.PutUint32(c[off:], v)
	return c
}

// readAllEvents reads a whole capture, returning the codes of the events
// and the first error other than io.EOF and ErrNewSection.
func readAllEvents(data []byte, opts scap.ReaderOptions) (*scap.Reader, []scap.EventCode, error) {
	r, err := scap.NewReader(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, err
	}
	var codes []scap.EventCode
	for {
		ev, err := r.Next()
		switch {
		case err == io.EOF:
			return r, codes, nil
		case errors.Is(err, scap.ErrNewSection):
			continue
		case err != nil:
			return r, codes, err
		}
		codes = append(codes, ev.Code)
	}
}

func TestHostileInput(t *testing.T) {
	valid := cat(shb(), closeEv(1, 3))
	ev := closeEv(1, 3)
	plBody := func(entry []byte) []byte { return entry }
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	corruptGz := gz(valid)
	corruptGz[len(corruptGz)-6] ^= 0xff // break the CRC

	tests := []struct {
		name  string
		input []byte
		opts  scap.ReaderOptions
		want  string // substring of the error
		eof   bool   // the error must wrap io.ErrUnexpectedEOF
	}{
		{name: "empty", input: nil, want: "scap: block at offset 0: empty input"},
		{name: "not a capture", input: []byte("this is a text file, not a capture"), want: "not a capture file: first block type 0x73696874"},
		{name: "bad magic", input: blk(uint32(scap.BlockSHB), shbBody(0xdeadbeef, 1, 2)), want: "bad byte order magic 0xdeadbeef"},
		{name: "big endian", input: blk(uint32(scap.BlockSHB), shbBody(0x4D3C2B1A, 1, 2)), want: "big-endian captures are not supported"},
		{name: "newer version", input: blk(uint32(scap.BlockSHB), shbBody(scap.ByteOrderMagic, 2, 0)), want: "unsupported format version 2.0"},
		{name: "truncated section header", input: shb()[:10], want: "scap: block at offset 0 (SHB): truncated block of 28 bytes", eof: true},
		{name: "short header", input: shb()[:6], want: "truncated section header block", eof: true},
		{name: "block shorter than framing", input: cat(shb(), patch(ev, 4, 8)), want: "block at offset 28 (EV V2): block length 8 is shorter than a block header and trailer"},
		{name: "length not multiple of 4", input: cat(shb(), patch(ev, 4, 61)), want: "block length 61 is not a multiple of 4"},
		{name: "metadata over limit", input: cat(shb(), blk(uint32(scap.BlockPLv9), make([]byte, 2000))), opts: scap.ReaderOptions{MaxBlockSize: 1024}, want: "block at offset 28 (PL V9): block length 2012 exceeds the limit of 1024 bytes"},
		{name: "event over 64 KiB", input: cat(shb(), patch(ev, 4, 70000)), want: "block length 70000 exceeds the limit of 65544 bytes"},
		{name: "large event over limit", input: cat(shb(), patch(patch(ev, 0, uint32(scap.BlockEVv2Large)), 4, 1<<20)), opts: scap.ReaderOptions{MaxBlockSize: 4096}, want: "(EV V2 LARGE): block length 1048576 exceeds the limit of 4096"},
		{name: "size lie truncates", input: cat(shb(), patch(ev, 4, 4096)), want: "block at offset 28 (EV V2): truncated event block of 4096 bytes", eof: true},
		{name: "trailer mismatch", input: cat(shb(), patch(ev, len(ev)-4, 99)), want: "block at offset 28 (EV V2): block length 60 in header but 99 in trailer"},
		{name: "metadata trailer mismatch", input: cat(shb(), patch(blk(uint32(scap.BlockMI), make([]byte, 180)), 188, 7)), want: "(MI): block length 192 in header but 7 in trailer"},
		{name: "event length lie", input: cat(shb(), patch(ev, 8+2+16, 200)), want: "event length 200 does not match block length 60"},
		{name: "too many params", input: cat(shb(), patch(ev, 8+2+22, 1000)), want: "PPME_SYSCALL_CLOSE_X: 1000 parameters exceed the limit of 64"},
		{name: "param lengths overflow", input: cat(shb(), patch(ev, 8+2+26, 0xffff)), want: "parameter lengths add up to 65535 bytes, the event holds 16"},
		{name: "length array does not fit", input: cat(shb(), patch(ev, 8+2+22, 20)), want: "20 parameter lengths do not fit in 20 bytes"},
		{name: "truncated event", input: cat(shb(), ev[:40]), want: "truncated event block of 60 bytes", eof: true},
		{name: "truncated block header", input: cat(shb(), ev[:5]), want: "block at offset 28: truncated block header", eof: true},
		{name: "metadata after events", input: cat(shb(), ev, blk(uint32(scap.BlockMI), make([]byte, 180))), want: "block at offset 88 (MI): unexpected non-event block after events"},
		{name: "short machine info", input: cat(shb(), blk(uint32(scap.BlockMI), make([]byte, 100))), want: "(MI): at body offset 20: hostname: need 128 bytes, 80 left"},
		{name: "process entry length lie", input: cat(shb(), blk(uint32(scap.BlockPLv9), plBody(le.AppendUint32(nil, 5000)))), want: "(PL V9): at body offset 4: process entry 0 length 4996 exceeds the 0 bytes left in the block"},
		{name: "process entry length too small", input: cat(shb(), blk(uint32(scap.BlockPLv9), le.AppendUint32(nil, 2))), want: "process entry 0 length 2 is shorter than its length field"},
		{name: "comm too long", input: cat(shb(), blk(uint32(scap.BlockPLv5), cat(i64(1), i64(1), i64(0), le.AppendUint16(nil, 2000), make([]byte, 2000)))), want: "(PL V5): at body offset 26: comm length 2000 exceeds 1024"},
		{name: "truncated process", input: cat(shb(), blk(uint32(scap.BlockPLv5), cat(i64(1), i64(1)))), want: "ptid: need 8 bytes, 0 left"},
		{name: "user name too long", input: cat(shb(), blk(uint32(scap.BlockULv1), cat([]byte{0}, le.AppendUint32(nil, 0), le.AppendUint32(nil, 0), le.AppendUint16(nil, 300), make([]byte, 300)))), want: "(UL V1): at body offset 11: user name length 300 exceeds 255"},
		{name: "user list unknown entry", input: cat(shb(), blk(uint32(scap.BlockULv1), []byte{7, 0, 0, 0})), want: "unknown user list entry type 7"},
		{name: "interface unknown type", input: cat(shb(), blk(uint32(scap.BlockILv2), cat(le.AppendUint32(nil, 4), le.AppendUint16(nil, 9), le.AppendUint16(nil, 0)))), want: "(IL V2): at body offset 8: unknown interface type 9"},
		{name: "interface entry length lie", input: cat(shb(), blk(uint32(scap.BlockILv2), cat(le.AppendUint32(nil, 400), le.AppendUint16(nil, 1), le.AppendUint16(nil, 0)))), want: "interface entry 0 length 400 exceeds the 4 bytes left"},
		{name: "fd list v1 unknown type", input: cat(shb(), blk(uint32(scap.BlockFDLv1), cat(i64(1), i64(3), i64(0), []byte{99}))), want: "(FDL V1): at body offset 25: unknown fd type 99"},
		{name: "fd name too long", input: cat(shb(), blk(uint32(scap.BlockFDLv1), cat(i64(1), i64(3), i64(0), []byte{byte(scap.FDFIFO)}, le.AppendUint16(nil, 1024), make([]byte, 1024)))), want: "fd name length 1024 exceeds 1023"},
		{name: "corrupt gzip", input: corruptGz, want: "gzip: invalid checksum"},
		{name: "v1 event with unknown layout", input: cat(shb(), blk(uint32(scap.BlockEVv1), cat(le.AppendUint16(nil, 0), i64(1), i64(2), le.AppendUint32(nil, 22+3), le.AppendUint16(nil, uint16(scap.SyscallCloseX)), []byte{1, 2, 3}))), want: "cannot infer the parameter count of a V1 event of 25 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAllEvents(tt.input, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("reading %q: error = %v, want it to contain %q", tt.name, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "scap: ") {
				t.Errorf("error %q lacks the scap: prefix", err)
			}
			if got := errors.Is(err, io.ErrUnexpectedEOF); got != tt.eof {
				t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = %v, want %v", err, got, tt.eof)
			}
			var fe *scap.FormatError
			if !strings.Contains(tt.want, "gzip") && !errors.As(err, &fe) {
				t.Errorf("error %v is not a *scap.FormatError", err)
			}
		})
	}
}

func TestStickyError(t *testing.T) {
	ev := closeEv(1, 3)
	r, err := scap.NewReader(bytes.NewReader(cat(shb(), ev, patch(ev, len(ev)-4, 1), ev)), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatalf("first event: %v", err)
	}
	_, err1 := r.Next()
	_, err2 := r.Next()
	if err1 == nil || err1 != err2 {
		t.Errorf("errors after corruption = %v, %v; want the same non-nil error twice", err1, err2)
	}
}

// TestSkipped checks what the reader passes over: unknown metadata
// blocks, event codes beyond the table, and unknown entries of lists with
// per-entry lengths.
func TestSkipped(t *testing.T) {
	unknownFD := cat(le.AppendUint32(nil, 4+8+8+1+6), i64(9), i64(77), []byte{99}, []byte("future"))
	fileFD := cat(le.AppendUint32(nil, 4+8+8+1+4+2+4+4), i64(3), i64(78), []byte{byte(scap.FDFileV2)},
		le.AppendUint32(nil, uint32(scap.OpenReadOnly)), le.AppendUint16(nil, 4), []byte("/srv"), le.AppendUint32(nil, 2049))
	newerUser := cat(le.AppendUint32(nil, 4+1+3), []byte{5, 'x', 'y', 'z'})
	group := cat(le.AppendUint32(nil, 4+1+4+2+3), []byte{1}, le.AppendUint32(nil, 27), le.AppendUint16(nil, 3), []byte("adm"))
	future := blk(uint32(scap.BlockEVv2), evBody(scap.EventCode(scap.EventMax+5), 2, 10, []byte{1, 2, 3}))
	data := cat(shb(),
		blk(0x9999, []byte("some future metadata")),
		blk(uint32(scap.BlockFDLv2), cat(i64(1), unknownFD, fileFD)),
		blk(uint32(scap.BlockULv2), cat(newerUser, group)),
		closeEv(1, 3), future, closeEv(3, 4))
	r, codes, err := readAllEvents(data, scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []scap.EventCode{scap.SyscallCloseX, scap.SyscallCloseX}; !cmp.Equal(codes, want) {
		t.Errorf("events = %v, want %v", codes, want)
	}
	if r.Skipped() != 1 {
		t.Errorf("Skipped() = %d, want 1", r.Skipped())
	}
	wantFDs := []scap.FDList{{Tid: 1, FDs: []scap.FD{
		{Num: 9, Ino: 77, Type: 99},
		{Num: 3, Ino: 78, Type: scap.FDFileV2, Name: "/srv", OpenFlags: uint32(scap.OpenReadOnly), Dev: 2049},
	}}}
	if diff := cmp.Diff(wantFDs, r.FDs(), cmpAddrs); diff != "" {
		t.Errorf("FDs() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]scap.Group{{GID: 27, Name: "adm"}}, r.Groups()); diff != "" || len(r.Users()) != 0 {
		t.Errorf("Groups() mismatch (-want +got):\n%s; users %v", diff, r.Users())
	}
}

// TestTruncatedEverywhere cuts a capture at every byte: reading must end
// with io.EOF exactly at block boundaries and with an unexpected-EOF
// FormatError everywhere else, never panic.
func TestTruncatedEverywhere(t *testing.T) {
	data := build(t, scenarios[2], scap.WriterOptions{}) // dup_close
	boundaries := map[int]int{}                          // offset -> events before it
	{
		r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			off := r.Offset()
			boundaries[int(off)] = n
			if _, err := r.Next(); err != nil {
				break
			}
			n++
		}
	}
	firstEvent := len(data)
	for off := range boundaries {
		firstEvent = min(firstEvent, off)
	}
	for cut := 0; cut < len(data); cut++ {
		_, codes, err := readAllEvents(data[:cut], scap.ReaderOptions{BufferSize: 256})
		if n, ok := boundaries[cut]; ok && cut >= firstEvent {
			if err != nil || len(codes) != n {
				t.Fatalf("cut at block boundary %d: %d events, error %v; want %d events and no error", cut, len(codes), err, n)
			}
			continue
		}
		if cut > 0 && cut < firstEvent && isMetaBoundary(data, cut) {
			continue // a capture with tables and no events is valid
		}
		if err == nil || (!errors.Is(err, io.ErrUnexpectedEOF) && cut != 0) {
			t.Fatalf("cut at %d: error %v, want a truncation error", cut, err)
		}
	}
}

// isMetaBoundary reports whether off is the end of a block before the
// first event.
func isMetaBoundary(data []byte, off int) bool {
	pos := 0
	for pos < off && pos+8 <= len(data) {
		pos += int(le.Uint32(data[pos+4:]))
	}
	return pos == off
}

func TestMetadataOnlyCapture(t *testing.T) {
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, scap.WriterOptions{})
	if err := w.WriteMachine(machine); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, codes, err := readAllEvents(buf.Bytes(), scap.ReaderOptions{})
	if err != nil || len(codes) != 0 || r.Machine() == nil || r.Machine().Hostname != "vm" {
		t.Errorf("metadata-only capture: events %v, err %v, machine %+v", codes, err, r.Machine())
	}
	// An empty Writer still writes a section header.
	buf.Reset()
	if err := scap.NewWriter(&buf, scap.WriterOptions{}).Close(); err != nil {
		t.Fatal(err)
	}
	if _, codes, err := readAllEvents(buf.Bytes(), scap.ReaderOptions{}); err != nil || len(codes) != 0 {
		t.Errorf("empty capture: events %v, err %v", codes, err)
	}
}

func TestAccessorsOutOfRange(t *testing.T) {
	r, err := scap.NewReader(bytes.NewReader(cat(shb(), closeEv(5, 3))), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{-1, 2, 100} {
		if ev.Param(i) != nil || ev.Uint64(i) != 0 || ev.Int64(i) != 0 || ev.String(i) != "" || !ev.Empty(i) || ev.Errno(i) != 0 {
			t.Errorf("parameter %d out of range does not read as empty", i)
		}
		if _, ok := ev.SockTuple(i); ok {
			t.Errorf("SockTuple(%d) ok for a missing parameter", i)
		}
		if ev.FormatParam(i) != "<NA>" {
			t.Errorf("FormatParam(%d) = %q, want <NA>", i, ev.FormatParam(i))
		}
	}
	if got := ev.Int64(1); got != 3 {
		t.Errorf("Int64(1) = %d, want 3", got)
	}
}
