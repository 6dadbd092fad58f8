package agent

import (
	"bufio"
	"fmt"
	"os"
	"time"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/state"
)

// captureWriter records events into a .scap file: the process table as
// the agent knows it at the start, then every event as the kernel
// delivered it, so Falco (or falconer replay) can replay the file.
type captureWriter struct {
	f        *os.File
	buf      *bufio.Writer
	w        *scap.Writer
	deadline time.Time
	limit    uint64
	written  uint64
	err      error
}

func newCaptureWriter(cfg Config, tab *state.Table) (*captureWriter, error) {
	f, err := os.Create(cfg.CapturePath)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	c := &captureWriter{f: f, buf: buf, w: scap.NewWriter(buf, scap.WriterOptions{}), limit: cfg.CaptureCount}
	if cfg.CaptureDuration > 0 {
		c.deadline = time.Now().Add(cfg.CaptureDuration)
	}
	if err := c.w.WriteMachine(scap.MachineInfo{Hostname: cfg.Hostname}); err != nil {
		f.Close()
		return nil, fmt.Errorf("capture: %w", err)
	}
	if err := tab.WriteTables(c.w); err != nil {
		f.Close()
		return nil, fmt.Errorf("capture: %w", err)
	}
	return c, nil
}

func (c *captureWriter) write(e *scap.Event) {
	if c.err != nil {
		return
	}
	c.err = c.w.WriteRawEvent(e)
	c.written++
}

// done reports whether the capture reached its limit.
func (c *captureWriter) done() bool {
	return c.err != nil || (c.limit > 0 && c.written >= c.limit) || (!c.deadline.IsZero() && time.Now().After(c.deadline))
}

func (c *captureWriter) close() error {
	err := c.err
	if e := c.w.Close(); err == nil {
		err = e
	}
	if e := c.buf.Flush(); err == nil {
		err = e
	}
	if e := c.f.Close(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("capture %s: %w", c.f.Name(), err)
	}
	return nil
}
