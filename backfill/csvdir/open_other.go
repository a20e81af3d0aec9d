//go:build !unix

package csvdir

import "os"

// openFlags open a file for reading. Without O_NONBLOCK, the Stat before
// the open is what keeps named pipes out.
const openFlags = os.O_RDONLY
