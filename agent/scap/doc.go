// Package scap reads and writes .scap capture files, the format Falco and
// sysdig use to record system events: a (usually gzip-compressed) stream of
// pcapng-like blocks holding a section header, tables describing the
// machine, its interfaces, users, processes and open fds, and then the
// events the driver produced.
//
// The reader accepts what Falco 0.44 (libs 0.25) writes and the older
// block layouts libscap still reads: every process-list version, fd, user
// and interface lists with and without per-entry lengths, event blocks
// with and without flags, large-payload events, and V1 event blocks whose
// header lacks the parameter count. Unknown metadata blocks are skipped;
// concatenated sections are reported with ErrNewSection. Malformed input
// gives a *FormatError naming the byte offset of the offending block,
// never a panic, and lengths are checked before anything is allocated for
// them. Only little-endian captures exist in practice; a byte-swapped
// section header is rejected, as libscap does.
//
// Events are decoded lazily and without allocation: Reader.Next returns
// the same *Event each time, whose parameters are slices of the read
// buffer, and typed accessors (Int64, Uint64, String, SockTuple, ...)
// interpret them following the driver's event table, generated into this
// package from data/scap-event-table.tsv.
//
// Old event layouts are not converted: an event from an older driver is
// returned with the parameters it has, which may be fewer than today's
// table lists (see Event.NParams).
//
// The Writer produces the blocks Falco 0.44 writes (SHB 1.2, MI, IL V2,
// UL V2, PL V9, FDL V2 and EV/EVF V2 events), optionally gzip-compressed,
// so that Falco can replay what Falconer records.
//
// The PPM_* enumerations the driver uses instead of Linux values (open
// flags, socket families, ptrace requests, execve and clone flags, fcntl
// commands, file modes) are provided as types whose String method renders
// them with Falco's names.
package scap
