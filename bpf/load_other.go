//go:build !linux || !amd64

package bpf

import "context"

// Probe is the loaded capture probe. On this platform it cannot be loaded.
type Probe struct{}

// Load reports ErrUnsupported: the probe needs linux/amd64.
func Load(opts Options) (*Probe, error) { return nil, ErrUnsupported }

// Attach reports ErrUnsupported.
func (p *Probe) Attach() error { return ErrUnsupported }

// Detach reports ErrUnsupported.
func (p *Probe) Detach() error { return ErrUnsupported }

// Close does nothing.
func (p *Probe) Close() error { return nil }

// SetSyscalls reports ErrUnsupported.
func (p *Probe) SetSyscalls(names []string) error { return ErrUnsupported }

// Stats reports ErrUnsupported.
func (p *Probe) Stats() (Stats, error) { return Stats{}, ErrUnsupported }

// Read reports ErrUnsupported.
func (p *Probe) Read(ctx context.Context, fn func(batch [][]byte) error) error {
	return ErrUnsupported
}

// Snapshot reports ErrUnsupported.
func (p *Probe) Snapshot() ([][]byte, error) { return nil, ErrUnsupported }

// Files reports ErrUnsupported.
func (p *Probe) Files() ([][]byte, error) { return nil, ErrUnsupported }
