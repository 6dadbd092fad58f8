// Package state is the agent's state engine: it follows the stream of
// driver events (from a capture file or from the kernel) in order and keeps
// the process table, each process's file-descriptor table, working
// directories, identities and container membership, so that every event
// reaches the rules with the context Falco gives it: proc.pname and
// ancestors, fd.name resolved against the cwd or a dirfd, user names,
// container.id from cgroups.
//
// A Table is fed with Table.Process for every event, in stream order. It
// is seeded from a capture's process, fd and user lists, or from /proc
// for a live agent. Memory is bounded: dead threads are purged when they
// exit, and the tables have caps.
package state
