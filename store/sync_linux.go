package store

import (
	"os"
	"syscall"
)

// syncData makes f's data durable. fdatasync skips what a read does not
// need (the modification time), which on a preallocated log leaves a
// flush of the data alone.
func syncData(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
