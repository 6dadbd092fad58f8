package scap

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// ReaderOptions configures a Reader. The zero value is ready to use.
type ReaderOptions struct {
	// MaxBlockSize bounds the total length of metadata blocks and of
	// large-payload event blocks; 0 means DefaultMaxBlockSize. Non-large
	// event blocks are always bounded by MaxEventBlockSize, as in libscap.
	MaxBlockSize int
	// BufferSize is the initial read buffer size; 0 means 256 KiB.
	BufferSize int
}

// Reader reads a capture file: plain or gzip-compressed, one or more
// concatenated sections, each a section header, metadata blocks (machine
// info, interfaces, users, processes, fds) and event blocks.
//
// NewReader reads the first section's metadata; Next returns events one at
// a time. The slices the table accessors return are the Reader's own: they
// stay valid until the next section begins and must not be modified. The
// Reader is not safe for concurrent use.
type Reader struct {
	src      io.Reader
	buf      []byte
	r, w     int   // unread data is buf[r:w]
	base     int64 // stream offset of buf[0]
	srcErr   error
	maxBlock int

	section  int
	header   SectionHeader
	machine  *MachineInfo
	ifaces   []Interface
	users    []User
	groups   []Group
	procs    []Process
	fds      []FDList
	skipped  uint64
	events   uint64
	sticky   error
	ev       Event
	gzipped  bool
	zeroRead int
}

// NewReader returns a Reader for the capture in src, having read the
// section header and the metadata blocks of the first section. The input
// may be gzip-compressed (any number of gzip members).
func NewReader(src io.Reader, opts ReaderOptions) (*Reader, error) {
	r := &Reader{maxBlock: opts.MaxBlockSize}
	if r.maxBlock <= 0 {
		r.maxBlock = DefaultMaxBlockSize
	}
	size := opts.BufferSize
	if size <= 0 {
		size = 256 << 10
	}
	var magic [2]byte
	n, err := io.ReadFull(src, magic[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("scap: read: %w", err)
	}
	src = io.MultiReader(bytes.NewReader(magic[:n]), src)
	if n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("scap: gzip: %w", err)
		}
		src = gz
		r.gzipped = true
	}
	r.src = src
	r.buf = make([]byte, size)
	if err := r.readSection(); err != nil {
		return nil, err
	}
	return r, nil
}

// Compressed reports whether the input is gzip-compressed.
func (r *Reader) Compressed() bool { return r.gzipped }

// Section returns the index of the current section, 0 for the first.
func (r *Reader) Section() int { return r.section }

// Header returns the current section's header.
func (r *Reader) Header() SectionHeader { return r.header }

// Machine returns the current section's machine info, or nil if the
// section has none.
func (r *Reader) Machine() *MachineInfo { return r.machine }

// Interfaces returns the current section's interface list.
func (r *Reader) Interfaces() []Interface { return r.ifaces }

// Users returns the current section's user list.
func (r *Reader) Users() []User { return r.users }

// Groups returns the current section's group list.
func (r *Reader) Groups() []Group { return r.groups }

// Processes returns the threads of the current section's process lists,
// in file order.
func (r *Reader) Processes() []Process { return r.procs }

// FDs returns the current section's fd lists, one per FDL block, in file
// order.
func (r *Reader) FDs() []FDList { return r.fds }

// Skipped returns the number of events skipped so far because their code
// is not in the event table (written by a newer driver).
func (r *Reader) Skipped() uint64 { return r.skipped }

// Events returns the number of events returned by Next so far.
func (r *Reader) Events() uint64 { return r.events }

// Offset returns the current position in the decompressed stream.
func (r *Reader) Offset() int64 { return r.base + int64(r.r) }

// Next returns the next event, io.EOF at the end of the capture, or
// ErrNewSection when a concatenated section begins. The returned Event is
// reused: it is valid only until the next call. After any other error the
// Reader is unusable and Next keeps returning that error.
func (r *Reader) Next() (*Event, error) {
	if r.sticky != nil {
		return nil, r.sticky
	}
	for {
		off := r.base + int64(r.r)
		if r.w-r.r < blockHeaderLen {
			if err := r.fill(blockHeaderLen); err != nil {
				if err == io.EOF {
					r.sticky = io.EOF
					return nil, io.EOF
				}
				return nil, r.fail(r.readError(off, 0, "block header", err))
			}
		}
		hdr := r.buf[r.r : r.r+blockHeaderLen]
		bt := BlockType(le.Uint32(hdr))
		tl := le.Uint32(hdr[4:])
		switch {
		case bt.isEvent():
			ev, err := r.readEvent(bt, tl, off)
			if err != nil {
				return nil, r.fail(err)
			}
			if ev == nil {
				continue // an event code from a newer driver
			}
			r.events++
			return ev, nil
		case bt == BlockSHB:
			if err := r.readSection(); err != nil {
				return nil, r.fail(err)
			}
			r.section++
			return nil, ErrNewSection
		default:
			return nil, r.fail(&FormatError{Offset: off, Block: bt, Msg: "unexpected non-event block after events (a new section must start with a section header)"})
		}
	}
}

func (r *Reader) fail(err error) error {
	r.sticky = err
	return err
}

// readSection reads a section header and the metadata blocks that follow
// it, stopping before the first event block (or at the end of input).
func (r *Reader) readSection() error {
	off := r.Offset()
	if err := r.fill(blockHeaderLen); err != nil {
		if err == io.EOF {
			return &FormatError{Offset: off, Msg: "empty input: no section header block"}
		}
		return r.readError(off, 0, "section header block", err)
	}
	if bt := BlockType(le.Uint32(r.buf[r.r:])); bt != BlockSHB {
		return &FormatError{Offset: off, Msg: fmt.Sprintf("not a capture file: first block type %#x is not a section header", uint32(bt))}
	}
	body, bt, err := r.block(0)
	if err != nil {
		return err
	}
	h, err := decodeSHB(body)
	if err != nil {
		return r.bodyErr(off, bt, err)
	}
	h.Offset = off
	r.header = h
	r.machine, r.ifaces, r.users, r.groups, r.procs, r.fds = nil, nil, nil, nil, nil, nil

	for {
		off := r.Offset()
		if err := r.fill(blockHeaderLen); err != nil {
			if err == io.EOF {
				return nil // a capture without events
			}
			return r.readError(off, 0, "block header", err)
		}
		bt := BlockType(le.Uint32(r.buf[r.r:]))
		if bt.isEvent() || bt == BlockSHB {
			return nil // the end of this section's metadata
		}
		body, bt, err := r.block(0)
		if err != nil {
			return err
		}
		if err := r.decodeMeta(bt, body); err != nil {
			return r.bodyErr(off, bt, err)
		}
	}
}

func (r *Reader) decodeMeta(bt BlockType, body []byte) error {
	switch bt {
	case BlockMI, BlockMILegacy:
		m, err := decodeMI(body)
		if err != nil {
			return err
		}
		r.machine = &m
	case BlockILv1, BlockILv1Legacy, BlockILv2:
		l, err := decodeIL(body, bt == BlockILv2)
		if err != nil {
			return err
		}
		r.ifaces = l
	case BlockULv1, BlockULv1Legacy, BlockULv2:
		u, g, err := decodeUL(body, bt == BlockULv2)
		if err != nil {
			return err
		}
		r.users, r.groups = u, g
	case BlockFDLv1, BlockFDLv1Legacy, BlockFDLv2:
		l, err := decodeFDL(body, bt == BlockFDLv2)
		if err != nil {
			return err
		}
		r.fds = append(r.fds, l)
	default:
		if v := plVersion(bt); v > 0 {
			l, err := decodePL(body, v)
			if err != nil {
				return err
			}
			r.procs = append(r.procs, l...)
		}
		// Any other block type is unknown metadata: skipped.
	}
	return nil
}

func (r *Reader) bodyErr(off int64, bt BlockType, err error) error {
	var be *bodyError
	if errors.As(err, &be) {
		return &FormatError{Offset: off, Block: bt, Msg: be.Error()}
	}
	return &FormatError{Offset: off, Block: bt, Msg: err.Error()}
}

// block consumes one whole block and returns its body (without header,
// trailer; padding included). The body aliases the read buffer. limit
// bounds the total length; 0 means the metadata limit.
func (r *Reader) block(limit int) ([]byte, BlockType, error) {
	off := r.Offset()
	if err := r.fill(blockHeaderLen); err != nil {
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		return nil, 0, r.readError(off, 0, "block header", err)
	}
	bt := BlockType(le.Uint32(r.buf[r.r:]))
	tl, err := r.checkLength(bt, le.Uint32(r.buf[r.r+4:]), off, limit)
	if err != nil {
		return nil, bt, err
	}
	if err := r.fill(tl); err != nil {
		return nil, bt, r.readError(off, bt, fmt.Sprintf("block of %d bytes", tl), err)
	}
	b := r.buf[r.r : r.r+tl]
	if tr := le.Uint32(b[tl-trailerLen:]); int(tr) != tl {
		return nil, bt, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("block length %d in header but %d in trailer", tl, tr)}
	}
	r.r += tl
	return b[blockHeaderLen : tl-trailerLen], bt, nil
}

func (r *Reader) checkLength(bt BlockType, total uint32, off int64, limit int) (int, error) {
	if limit <= 0 {
		limit = r.maxBlock
	}
	switch {
	case total < blockHeaderLen+trailerLen:
		return 0, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("block length %d is shorter than a block header and trailer", total)}
	case total%4 != 0:
		return 0, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("block length %d is not a multiple of 4", total)}
	case uint64(total) > uint64(limit):
		return 0, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("block length %d exceeds the limit of %d bytes", total, limit)}
	}
	return int(total), nil
}

func (r *Reader) readError(off int64, bt BlockType, what string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return &FormatError{Offset: off, Block: bt, Msg: "truncated " + what, Err: io.ErrUnexpectedEOF}
	}
	return fmt.Errorf("scap: read at offset %d: %w", off, err)
}

// readEvent decodes the event block at the read position into r.ev. It
// returns a nil event for codes beyond the table, which are skipped.
func (r *Reader) readEvent(bt BlockType, total uint32, off int64) (*Event, error) {
	tl := int(total)
	if total > MaxEventBlockSize || total < blockHeaderLen+trailerLen || total%4 != 0 {
		limit := MaxEventBlockSize
		if bt == BlockEVv2Large || bt == BlockEVFv2Large {
			limit = r.maxBlock
		}
		var err error
		if tl, err = r.checkLength(bt, total, off, limit); err != nil {
			return nil, err
		}
	}
	if r.w-r.r < tl {
		if err := r.fill(tl); err != nil {
			return nil, r.readError(off, bt, fmt.Sprintf("event block of %d bytes", tl), err)
		}
	}
	b := r.buf[r.r : r.r+tl]
	if tr := le.Uint32(b[tl-trailerLen:]); int(tr) != tl {
		return nil, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("block length %d in header but %d in trailer", tl, tr)}
	}

	extra, hdrLen := 2, evHeaderLenV2
	withFlags := bt == BlockEVFv2 || bt == BlockEVFv2Large || bt == BlockEVFv1
	if withFlags {
		extra = 6
	}
	if bt == BlockEVv1 || bt == BlockEVv1Legacy || bt == BlockEVFv1 {
		hdrLen = evHeaderLenV1
	}
	body := b[blockHeaderLen : tl-trailerLen]
	if len(body) < extra+hdrLen {
		return nil, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("block length %d is too short for an event header", tl)}
	}
	e := &r.ev
	e.CPU = le.Uint16(body)
	e.Flags = 0
	if withFlags {
		e.Flags = le.Uint32(body[2:])
	}
	ev := body[extra:]
	evLen := le.Uint32(ev[16:])
	code := EventCode(le.Uint16(ev[20:]))
	if evLen < uint32(hdrLen) || evLen > uint32(len(ev)) || pad4(blockHeaderLen+extra+int(evLen)+trailerLen) != tl {
		return nil, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("event length %d does not match block length %d", evLen, tl)}
	}
	r.r += tl
	if int(code) >= len(eventTable) {
		r.skipped++
		return nil, nil
	}
	info := &eventTable[code]
	e.Code = code
	e.Timestamp = le.Uint64(ev)
	e.Tid = int64(le.Uint64(ev[8:]))
	e.Offset = off
	e.Block = bt
	e.info = info
	data := ev[hdrLen:evLen]

	lw := 2
	if info.Flags&FlagLargePayload != 0 {
		lw = 4
	}
	var nparams int
	if hdrLen == evHeaderLenV2 {
		n := le.Uint32(ev[22:])
		if n > MaxParams {
			return nil, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("%s: %d parameters exceed the limit of %d", code, n, MaxParams)}
		}
		nparams = int(n)
	} else {
		n, ok := v1ParamCount(info, data)
		if !ok {
			return nil, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("%s: cannot infer the parameter count of a V1 event of %d bytes", code, evLen)}
		}
		nparams, lw = n, 2
	}
	if msg := e.setParams(data, nparams, lw); msg != "" {
		return nil, &FormatError{Offset: off, Block: bt, Msg: fmt.Sprintf("%s: %s", code, msg)}
	}
	return e, nil
}

// setParams installs the parameter data of an event: nparams lengths of lw
// bytes each, then the values. It returns a description of what is wrong
// with malformed data, or "".
func (e *Event) setParams(data []byte, nparams, lw int) string {
	if nparams*lw > len(data) {
		return fmt.Sprintf("%d parameter lengths do not fit in %d bytes", nparams, len(data))
	}
	pos := uint64(nparams * lw)
	end := uint64(len(data))
	e.off[0] = uint32(pos)
	offs := e.off[1 : nparams+1]
	if lw == 2 {
		lens := data[:2*nparams]
		for i := range offs {
			pos += uint64(lens[2*i]) | uint64(lens[2*i+1])<<8
			offs[i] = uint32(pos)
		}
	} else {
		lens := data[:4*nparams]
		for i := range offs {
			pos += uint64(le.Uint32(lens[4*i:]))
			offs[i] = uint32(pos)
		}
	}
	if pos != end {
		return fmt.Sprintf("parameter lengths add up to %d bytes, the event holds %d", pos-uint64(nparams*lw), int(end)-nparams*lw)
	}
	e.nparams = nparams
	e.data = data
	return ""
}

// v1ParamCount infers the parameter count of an event from a V1 block,
// whose header lacks it, as libscap does: start from the table's count and
// go down until the u16 lengths exactly fill the event.
func v1ParamCount(info *EventInfo, data []byte) (int, bool) {
	for n := len(info.Params); n >= 0; n-- {
		if 2*n > len(data) {
			continue
		}
		sum := 2 * n
		for i := 0; i < n; i++ {
			sum += int(le.Uint16(data[2*i:]))
		}
		if sum == len(data) {
			return n, true
		}
		if sum < len(data) {
			return 0, false
		}
	}
	return 0, false
}

// fill makes sure at least n unread bytes are buffered. It returns io.EOF
// if the input ended with nothing unread, io.ErrUnexpectedEOF if it ended
// in the middle, or the input's error. The buffer only grows while full of
// real data, so a lying length cannot make it allocate far ahead of input.
func (r *Reader) fill(n int) error {
	for r.w-r.r < n {
		if r.srcErr != nil {
			if r.srcErr == io.EOF {
				if r.w == r.r {
					return io.EOF
				}
				return io.ErrUnexpectedEOF
			}
			return r.srcErr
		}
		if len(r.buf)-r.r < n && r.r > 0 {
			copy(r.buf, r.buf[r.r:r.w])
			r.base += int64(r.r)
			r.w -= r.r
			r.r = 0
		}
		if r.w == len(r.buf) {
			nb := make([]byte, 2*len(r.buf))
			copy(nb, r.buf[r.r:r.w])
			r.base += int64(r.r)
			r.w -= r.r
			r.r = 0
			r.buf = nb
		}
		m, err := r.src.Read(r.buf[r.w:])
		r.w += m
		if m == 0 && err == nil {
			r.zeroRead++
			if r.zeroRead > 100 {
				r.srcErr = io.ErrNoProgress
			}
			continue
		}
		r.zeroRead = 0
		if err != nil {
			r.srcErr = err
		}
	}
	return nil
}
