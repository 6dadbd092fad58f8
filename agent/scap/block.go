package scap

import (
	"errors"
	"fmt"
	"strconv"
)

// BlockType is the type field of a block header.
type BlockType uint32

// Block types. The V-numbered ones are the layouts libscap has used over
// time; the ones Falco 0.44 writes are BlockSHB, BlockMI, BlockILv2,
// BlockULv2, BlockPLv9, BlockFDLv2 and the V2 event blocks.
const (
	BlockSHB BlockType = 0x0A0D0D0A // section header

	BlockMI       BlockType = 0x201      // machine info
	BlockMILegacy BlockType = 0x8002ABCD // machine info, legacy id

	BlockPLv1       BlockType = 0x202 // process list V1
	BlockPLv2       BlockType = 0x207
	BlockPLv3       BlockType = 0x209
	BlockPLv4       BlockType = 0x210
	BlockPLv5       BlockType = 0x211
	BlockPLv6       BlockType = 0x212
	BlockPLv7       BlockType = 0x213
	BlockPLv8       BlockType = 0x214
	BlockPLv9       BlockType = 0x215 // process list with per-entry length (current)
	BlockPLv1Legacy BlockType = 0x8000ABCD
	BlockPLv2Legacy BlockType = 0x8013ABCD
	BlockPLv3Legacy BlockType = 0x8014ABCD

	BlockFDLv1       BlockType = 0x203 // fd list V1
	BlockFDLv1Legacy BlockType = 0x8001ABCD
	BlockFDLv2       BlockType = 0x218 // fd list with per-entry length (current)

	BlockILv1       BlockType = 0x205 // interface list V1
	BlockILv1Legacy BlockType = 0x8011ABCD
	BlockILv2       BlockType = 0x219 // interface list with per-entry length (current)

	BlockULv1       BlockType = 0x206 // user list V1
	BlockULv1Legacy BlockType = 0x8012ABCD
	BlockULv2       BlockType = 0x220 // user list with per-entry length (current)

	BlockEVv1       BlockType = 0x204 // event, header without nparams
	BlockEVv1Legacy BlockType = 0x8010ABCD
	BlockEVFv1      BlockType = 0x208 // event with flags, header without nparams
	BlockEVv2       BlockType = 0x216 // event (current)
	BlockEVFv2      BlockType = 0x217 // event with flags
	BlockEVv2Large  BlockType = 0x221 // event with u32 parameter lengths
	BlockEVFv2Large BlockType = 0x222 // event with flags and u32 parameter lengths
)

// String returns a short name for t, such as "PL V9" or "0x123".
func (t BlockType) String() string {
	switch t {
	case BlockSHB:
		return "SHB"
	case BlockMI, BlockMILegacy:
		return "MI"
	case BlockPLv1, BlockPLv1Legacy:
		return "PL V1"
	case BlockPLv2, BlockPLv2Legacy:
		return "PL V2"
	case BlockPLv3, BlockPLv3Legacy:
		return "PL V3"
	case BlockPLv4:
		return "PL V4"
	case BlockPLv5:
		return "PL V5"
	case BlockPLv6:
		return "PL V6"
	case BlockPLv7:
		return "PL V7"
	case BlockPLv8:
		return "PL V8"
	case BlockPLv9:
		return "PL V9"
	case BlockFDLv1, BlockFDLv1Legacy:
		return "FDL V1"
	case BlockFDLv2:
		return "FDL V2"
	case BlockILv1, BlockILv1Legacy:
		return "IL V1"
	case BlockILv2:
		return "IL V2"
	case BlockULv1, BlockULv1Legacy:
		return "UL V1"
	case BlockULv2:
		return "UL V2"
	case BlockEVv1, BlockEVv1Legacy:
		return "EV V1"
	case BlockEVFv1:
		return "EVF V1"
	case BlockEVv2:
		return "EV V2"
	case BlockEVFv2:
		return "EVF V2"
	case BlockEVv2Large:
		return "EV V2 LARGE"
	case BlockEVFv2Large:
		return "EVF V2 LARGE"
	}
	return "0x" + strconv.FormatUint(uint64(t), 16)
}

// isEvent reports whether t is one of the event block types.
func (t BlockType) isEvent() bool {
	switch t {
	case BlockEVv1, BlockEVv1Legacy, BlockEVFv1, BlockEVv2, BlockEVFv2, BlockEVv2Large, BlockEVFv2Large:
		return true
	}
	return false
}

// Format constants.
const (
	// ByteOrderMagic is the section header's byte order magic as written
	// by a little-endian host.
	ByteOrderMagic = 0x1A2B3C4D
	// MajorVersion and MinorVersion are the format version the writer
	// puts in section headers (libscap's current 1.2). The reader accepts
	// any version with a major of at most MajorVersion.
	MajorVersion = 1
	MinorVersion = 2

	// MaxParams is the largest parameter count the reader accepts in an
	// event (the driver's limit is 32).
	MaxParams = 64
	// MaxEventBlockSize is the largest total length of a non-large event
	// block: libscap's reader buffer (64 KiB) plus the 8-byte block header.
	MaxEventBlockSize = 65536 + 8
	// DefaultMaxBlockSize bounds metadata blocks and large-payload event
	// blocks unless ReaderOptions.MaxBlockSize says otherwise.
	DefaultMaxBlockSize = 256 << 20

	// NoTid is the Tid of events that belong to no thread (user, group
	// and plugin meta events): 0xFFFFFFFFFFFFFFFF read as a signed value.
	NoTid int64 = -1

	blockHeaderLen = 8
	trailerLen     = 4
	evHeaderLenV1  = 22
	evHeaderLenV2  = 26
)

// Limits libscap applies to strings in metadata blocks (bytes, no NUL).
const (
	maxPathLen        = 1024 // SCAP_MAX_PATH_SIZE: comm, exe, exepath, cwd, root, fd names
	maxArgsLen        = 4096 // SCAP_MAX_ARGS_SIZE
	maxEnvLen         = 4096 // SCAP_MAX_ENV_SIZE
	maxCgroupsLen     = 4096 // SCAP_MAX_CGROUPS_SIZE
	maxCredentialsLen = 255  // user and group strings: < MAX_CREDENTIALS_STR_LEN (256)
	hostnameLen       = 128  // machine info hostname field
	machineInfoLen    = 180  // packed scap_machine_info
)

// ErrNewSection is returned by Reader.Next when the stream continues with
// a new, concatenated capture section. By then the reader has read the new
// section's header and tables: Header, Machine, Processes, FDs, Users,
// Groups and Interfaces describe the new section, and state built from the
// previous one should be dropped, as libsinsp does. Calling Next again
// returns the new section's first event.
var ErrNewSection = errors.New("scap: new capture section")

// FormatError reports a malformed or unsupported capture. Offset is the
// position of the offending block in the decompressed stream.
type FormatError struct {
	Offset int64
	Block  BlockType
	Msg    string
	Err    error // underlying cause, such as io.ErrUnexpectedEOF; may be nil
}

// Error formats the error as "scap: block at offset N (TYPE): msg".
func (e *FormatError) Error() string {
	s := fmt.Sprintf("scap: block at offset %d", e.Offset)
	if e.Block != 0 {
		s += " (" + e.Block.String() + ")"
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *FormatError) Unwrap() error { return e.Err }

// pad4 rounds n up to a multiple of 4, as block lengths are.
func pad4(n int) int { return (n + 3) &^ 3 }
