package scap_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/falconer-sec/falconer/agent/scap"
)

// Write a small capture, then read it back event by event.
func Example() {
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, scap.WriterOptions{Compress: true})
	if err := w.WriteProcesses([]scap.Process{{Tid: 42, Pid: 42, Ptid: 1, Comm: "cat", ExePath: "/usr/bin/cat", LoginUID: 0xFFFFFFFF}}); err != nil {
		log.Fatal(err)
	}
	// openat(AT_FDCWD, "/etc/shadow", O_RDONLY|O_CLOEXEC) = 3
	err := w.WriteEvent(scap.SyscallOpenatV2X, 1_700_000_000_000_000_000, 42, 0,
		scap.Int(3), scap.Int(scap.AtFDCWD), scap.Str("/etc/shadow"),
		scap.Uint(uint64(scap.OpenReadOnly|scap.OpenCloexec)), scap.Uint(0), scap.Uint(2049), scap.Uint(1234))
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := scap.NewReader(&buf, scap.ReaderOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("process:", r.Processes()[0].Comm)
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Name(), ev.Tid, ev.Int64(0), ev.String(2), scap.OpenFlags(ev.Uint32(3)))
	}
	// Output:
	// process: cat
	// openat 42 3 /etc/shadow O_RDONLY|O_CLOEXEC
}
