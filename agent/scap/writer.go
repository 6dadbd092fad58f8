package scap

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
)

// WriterOptions configures a Writer. The zero value writes an
// uncompressed capture.
type WriterOptions struct {
	// Compress wraps the block stream in gzip, as Falco's captures are.
	Compress bool
	// Level is the gzip level (gzip.BestSpeed ... gzip.BestCompression);
	// 0 means gzip.DefaultCompression.
	Level int
	// BufferSize is the size of the output buffer; 0 means 256 KiB.
	BufferSize int
}

// Writer writes a capture in the block versions Falco 0.44 writes: a
// section header, then metadata blocks (MI, IL V2, UL V2, PL V9, FDL V2)
// and event blocks (EV/EVF V2 and their LARGE variants).
//
// The section header is written before the first block. Metadata blocks
// must come before the section's first event; NewSection starts another
// section. Errors are sticky: after one, every method returns it. Close
// must be called to flush the output.
type Writer struct {
	bw      *bufio.Writer
	gz      *gzip.Writer
	dst     io.Writer
	started bool // the section header is written
	inEvent bool // the section has events
	scratch []byte
	lens    [MaxParams]int
	err     error
	events  uint64
}

// NewWriter returns a Writer writing to dst.
func NewWriter(dst io.Writer, opts WriterOptions) *Writer {
	size := opts.BufferSize
	if size <= 0 {
		size = 256 << 10
	}
	w := &Writer{dst: dst, scratch: make([]byte, 0, 4096)}
	out := dst
	if opts.Compress {
		level := opts.Level
		if level == 0 {
			level = gzip.DefaultCompression
		}
		gz, err := gzip.NewWriterLevel(dst, level)
		if err != nil {
			w.err = fmt.Errorf("scap: %w", err)
			gz = gzip.NewWriter(dst)
		}
		w.gz = gz
		out = gz
	}
	w.bw = bufio.NewWriterSize(out, size)
	return w
}

// Events returns the number of events written.
func (w *Writer) Events() uint64 { return w.events }

func (w *Writer) flushScratch() error {
	if _, err := w.bw.Write(w.scratch); err != nil {
		w.err = fmt.Errorf("scap: write: %w", err)
		return w.err
	}
	return nil
}

// meta starts a metadata block: it writes the section header if needed
// and refuses metadata after events.
func (w *Writer) meta(what string) error {
	if w.err != nil {
		return w.err
	}
	if w.inEvent {
		return fmt.Errorf("scap: write %s: metadata after events (call NewSection first)", what)
	}
	w.scratch = w.scratch[:0]
	if !w.started {
		w.scratch = appendSHB(w.scratch)
		w.started = true
	}
	return nil
}

func (w *Writer) writeMeta(what string, b []byte, err error) error {
	if err != nil {
		w.scratch = w.scratch[:0]
		return fmt.Errorf("scap: write %s: %w", what, err)
	}
	w.scratch = b
	return w.flushScratch()
}

// WriteMachine writes a machine info block.
func (w *Writer) WriteMachine(m MachineInfo) error {
	if err := w.meta("machine info"); err != nil {
		return err
	}
	b, err := appendMI(w.scratch, &m)
	return w.writeMeta("machine info", b, err)
}

// WriteInterfaces writes an interface list block.
func (w *Writer) WriteInterfaces(list []Interface) error {
	if err := w.meta("interface list"); err != nil {
		return err
	}
	b, err := appendIL(w.scratch, list)
	return w.writeMeta("interface list", b, err)
}

// WriteUsers writes a user list block with users and groups.
func (w *Writer) WriteUsers(users []User, groups []Group) error {
	if err := w.meta("user list"); err != nil {
		return err
	}
	b, err := appendUL(w.scratch, users, groups)
	return w.writeMeta("user list", b, err)
}

// WriteProcesses writes a process list block, one entry per thread.
func (w *Writer) WriteProcesses(list []Process) error {
	if err := w.meta("process list"); err != nil {
		return err
	}
	b, err := appendPL(w.scratch, list)
	return w.writeMeta("process list", b, err)
}

// WriteFDs writes the fd list block of one process.
func (w *Writer) WriteFDs(l FDList) error {
	if err := w.meta("fd list"); err != nil {
		return err
	}
	b, err := appendFDL(w.scratch, &l)
	return w.writeMeta("fd list", b, err)
}

// NewSection makes the next block start a new, concatenated section with
// its own section header and metadata.
func (w *Writer) NewSection() error {
	if w.err != nil {
		return w.err
	}
	w.started, w.inEvent = false, false
	return nil
}

// WriteEvent writes an event block. params must match the event table's
// parameter list for code, in number and in encoding (see Param).
func (w *Writer) WriteEvent(code EventCode, ts uint64, tid int64, cpu uint16, params ...Param) error {
	return w.WriteEventFlags(code, ts, tid, cpu, 0, params...)
}

// WriteEventFlags is WriteEvent for an event with dump flags, such as
// DumpStateOnly; nonzero flags select an EVF block.
func (w *Writer) WriteEventFlags(code EventCode, ts uint64, tid int64, cpu uint16, flags uint32, params ...Param) error {
	if w.err != nil {
		return w.err
	}
	info := code.Info()
	if info == nil {
		return fmt.Errorf("scap: write event: code %d is not in the event table", code)
	}
	if len(params) != len(info.Params) {
		return fmt.Errorf("scap: write %s: %d params, the table has %d", code, len(params), len(info.Params))
	}
	for i := range params {
		n, err := params[i].size(info.Params[i])
		if err != nil {
			return fmt.Errorf("scap: write %s: param %d (%s): %w", code, i, info.Params[i].Name, err)
		}
		w.lens[i] = n
	}
	return w.writeEvent(info, ts, tid, cpu, flags, len(params), params, nil)
}

// WriteRawEvent writes a copy of ev, for example one read from a Reader,
// keeping its parameters byte for byte (even if their count differs from
// the current table).
func (w *Writer) WriteRawEvent(ev *Event) error {
	if w.err != nil {
		return w.err
	}
	if ev.info == nil {
		return errors.New("scap: write raw event: event has no table entry")
	}
	for i := 0; i < ev.nparams; i++ {
		w.lens[i] = len(ev.Param(i))
	}
	return w.writeEvent(ev.info, ev.Timestamp, ev.Tid, ev.CPU, ev.Flags, ev.nparams, nil, ev)
}

// writeEvent encodes one event block from params, or from raw's
// parameters when raw is not nil; w.lens holds the parameter lengths.
func (w *Writer) writeEvent(info *EventInfo, ts uint64, tid int64, cpu uint16, flags uint32, n int, params []Param, raw *Event) error {
	flags &^= DumpLarge
	lw := info.LengthWidth()
	evLen := evHeaderLenV2 + lw*n
	for i := 0; i < n; i++ {
		if lw == 2 && w.lens[i] > math.MaxUint16 {
			return fmt.Errorf("scap: write %s: param %d is %d bytes, more than a u16 length allows", info.Code, i, w.lens[i])
		}
		evLen += w.lens[i]
	}
	extra := 2
	if flags != 0 {
		extra = 6
	}
	total := pad4(blockHeaderLen + extra + evLen + trailerLen)
	var bt BlockType
	switch large := lw == 4; {
	case large && flags != 0:
		bt = BlockEVFv2Large
	case large:
		bt = BlockEVv2Large
	case flags != 0:
		bt = BlockEVFv2
	default:
		bt = BlockEVv2
	}
	if lw == 2 && total > MaxEventBlockSize {
		return fmt.Errorf("scap: write %s: event block of %d bytes exceeds the %d bytes readers accept", info.Code, total, MaxEventBlockSize)
	}
	if uint64(total) > math.MaxUint32 {
		return fmt.Errorf("scap: write %s: event of %d bytes is too large", info.Code, total)
	}
	b := w.scratch[:0]
	if !w.started {
		b = appendSHB(b)
		w.started = true
	}
	w.inEvent = true
	b = le.AppendUint32(b, uint32(bt))
	b = le.AppendUint32(b, uint32(total))
	b = le.AppendUint16(b, cpu)
	if flags != 0 {
		b = le.AppendUint32(b, flags)
	}
	b = le.AppendUint64(b, ts)
	b = le.AppendUint64(b, uint64(tid))
	b = le.AppendUint32(b, uint32(evLen))
	b = le.AppendUint16(b, uint16(info.Code))
	b = le.AppendUint32(b, uint32(n))
	for i := 0; i < n; i++ {
		if lw == 2 {
			b = le.AppendUint16(b, uint16(w.lens[i]))
		} else {
			b = le.AppendUint32(b, uint32(w.lens[i]))
		}
	}
	for i := 0; i < n; i++ {
		if raw != nil {
			b = append(b, raw.Param(i)...)
		} else {
			b = params[i].append(b, info.Params[i])
		}
	}
	for pad := total - (blockHeaderLen + extra + evLen + trailerLen); pad > 0; pad-- {
		b = append(b, 0)
	}
	b = le.AppendUint32(b, uint32(total))
	w.scratch = b
	if err := w.flushScratch(); err != nil {
		return err
	}
	w.events++
	return nil
}

// Flush writes buffered data to the underlying writer (through gzip, if
// compressing, without ending the gzip stream).
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("scap: write: %w", err)
		return w.err
	}
	if w.gz != nil {
		if err := w.gz.Flush(); err != nil {
			w.err = fmt.Errorf("scap: write: %w", err)
			return w.err
		}
	}
	return nil
}

// Close writes the section header if nothing was written yet, flushes
// buffered data and ends the gzip stream. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		w.scratch = appendSHB(w.scratch[:0])
		w.started = true
		if err := w.flushScratch(); err != nil {
			return err
		}
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("scap: write: %w", err)
		return w.err
	}
	if w.gz != nil {
		if err := w.gz.Close(); err != nil {
			w.err = fmt.Errorf("scap: write: %w", err)
			return w.err
		}
	}
	w.err = errors.New("scap: writer closed")
	return nil
}

// Param is an event parameter value for Writer.WriteEvent. Its encoding
// follows the event table: Int and Uint take the width of the parameter's
// type, Str adds the NUL of string types, Bytes is stored as given.
type Param struct {
	kind paramKind
	n    uint64
	s    string
	b    []byte
}

type paramKind uint8

const (
	paramEmpty paramKind = iota
	paramInt
	paramUint
	paramStr
	paramBytes
)

// Int is a signed integer for a fixed-size parameter (FD, PID, ERRNO,
// INT32, ...). It must fit the type's width, as a signed or as an unsigned
// value (Int(-1) fills a UINT32 with 0xFFFFFFFF).
func Int(v int64) Param { return Param{kind: paramInt, n: uint64(v)} }

// Uint is an unsigned integer for a fixed-size parameter (UINT64, FLAGS32,
// UID, ...). It must fit the type's width.
func Uint(v uint64) Param { return Param{kind: paramUint, n: v} }

// Str is a string. For CHARBUF, FSPATH and FSRELPATH parameters the
// trailing NUL is added; other variable-length types store the bytes as
// they are (use JoinNUL for NUL-separated BYTEBUF lists such as execve
// args).
func Str(s string) Param { return Param{kind: paramStr, s: s} }

// Bytes stores b as the parameter value unchanged. For a fixed-size type
// it must have the type's exact size.
func Bytes(b []byte) Param { return Param{kind: paramBytes, b: b} }

// Empty is a zero-length parameter: "not available".
func Empty() Param { return Param{} }

// Addr is a SOCKADDR parameter.
func Addr(a SockAddr) Param { return Bytes(a.Encode()) }

// Tuple is a SOCKTUPLE parameter.
func Tuple(t SockTuple) Param { return Bytes(t.Encode()) }

func (p *Param) size(pi ParamInfo) (int, error) {
	size := pi.Type.Size()
	switch p.kind {
	case paramEmpty:
		return 0, nil
	case paramInt, paramUint:
		if size == 0 || size > 8 {
			return 0, fmt.Errorf("integer for %s parameter", pi.Type)
		}
		if !fits(p.n, p.kind == paramInt, size) {
			if p.kind == paramInt {
				return 0, fmt.Errorf("value %d does not fit %s", int64(p.n), pi.Type)
			}
			return 0, fmt.Errorf("value %d does not fit %s", p.n, pi.Type)
		}
		return size, nil
	case paramStr:
		if size != 0 {
			return 0, fmt.Errorf("string for %s parameter", pi.Type)
		}
		if pi.Type.IsString() {
			return len(p.s) + 1, nil
		}
		return len(p.s), nil
	default:
		if size != 0 && len(p.b) != size {
			return 0, fmt.Errorf("%d bytes for %s parameter of %d bytes", len(p.b), pi.Type, size)
		}
		return len(p.b), nil
	}
}

// fits reports whether v fits in size bytes: as a signed value if signed
// (also accepting the unsigned reading of a non-negative value), else as
// an unsigned one.
func fits(v uint64, signed bool, size int) bool {
	if size == 8 {
		return true
	}
	bits := uint(size * 8)
	if signed {
		s := int64(v)
		if s >= -(1<<(bits-1)) && s < 1<<(bits-1) {
			return true
		}
		return s >= 0 && uint64(s) < 1<<bits
	}
	return v < 1<<bits
}

func (p *Param) append(b []byte, pi ParamInfo) []byte {
	switch p.kind {
	case paramInt, paramUint:
		switch pi.Type.Size() {
		case 1:
			return append(b, byte(p.n))
		case 2:
			return le.AppendUint16(b, uint16(p.n))
		case 4:
			return le.AppendUint32(b, uint32(p.n))
		default:
			return le.AppendUint64(b, p.n)
		}
	case paramStr:
		b = append(b, p.s...)
		if pi.Type.IsString() {
			b = append(b, 0)
		}
		return b
	case paramBytes:
		return append(b, p.b...)
	}
	return b
}
