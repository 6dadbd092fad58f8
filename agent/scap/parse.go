package scap

import (
	"errors"
	"fmt"
)

// ErrUnknownEvent is returned by Event.Parse for an event code the table
// does not have (an event of a newer driver).
var ErrUnknownEvent = errors.New("scap: unknown event code")

// Parse decodes one raw driver event, as the kernel probe writes it into
// its ring buffer and as an event block holds it: the V2 header
// (timestamp, tid, length, type, parameter count), the parameter lengths,
// then the values. The event points into raw, which must stay unchanged
// while the event is in use. cpu is recorded as the event's CPU.
func (e *Event) Parse(raw []byte, cpu uint16) error {
	if len(raw) < evHeaderLenV2 {
		return fmt.Errorf("scap: raw event of %d bytes is shorter than its header", len(raw))
	}
	evLen := le.Uint32(raw[16:])
	code := EventCode(le.Uint16(raw[20:]))
	n := le.Uint32(raw[22:])
	if evLen < evHeaderLenV2 || int(evLen) > len(raw) {
		return fmt.Errorf("scap: raw event length %d does not fit its %d bytes", evLen, len(raw))
	}
	if int(code) >= len(eventTable) {
		return fmt.Errorf("%w %d", ErrUnknownEvent, code)
	}
	if n > MaxParams {
		return fmt.Errorf("scap: %s: %d parameters exceed the limit of %d", code, n, MaxParams)
	}
	info := &eventTable[code]
	lw := 2
	if info.Flags&FlagLargePayload != 0 {
		lw = 4
	}
	e.Code, e.Timestamp, e.Tid = code, le.Uint64(raw), int64(le.Uint64(raw[8:]))
	e.CPU, e.Flags, e.Offset, e.Block = cpu, 0, 0, 0
	e.info = info
	if msg := e.setParams(raw[evHeaderLenV2:evLen], int(n), lw); msg != "" {
		return fmt.Errorf("scap: %s: %s", code, msg)
	}
	return nil
}
