//go:build unix

package csvdir

import (
	"os"
	"syscall"
)

// openFlags open a file for reading without blocking: opening a named
// pipe otherwise waits for a writer, for ever and deaf to the context.
// Reading a regular file is the same either way.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
