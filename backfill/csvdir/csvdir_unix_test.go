//go:build unix

package csvdir

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
)

// TestNamedPipe: a named pipe with a symbol's name is permanent for that
// symbol, at once: it is never waited on for a writer, which would block
// the run beyond the reach of its context. A socket likewise.
func TestNamedPipe(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "csvdir") // short: a socket's path has a limit of about 100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := syscall.Mkfifo(filepath.Join(dir, "PIPE.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "SOCK.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for sym, want := range map[string]string{
		"PIPE": "PIPE.csv is not a regular file (a named pipe)",
		"SOCK": "SOCK.csv is not a regular file (a socket)",
	} {
		done := make(chan error, 1)
		go func() {
			_, err := f.Fetch(t.Context(), sym, january)
			done <- err
		}()
		select {
		case err := <-done:
			if pricefill.KindOf(err) != pricefill.KindPermanent || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want a permanent one containing %q", sym, err, want)
			}
		case <-time.After(30 * time.Second): // a guard against a hang, not a measure
			t.Fatalf("%s: Fetch still blocked after 30 s", sym)
		}
	}
}

// TestPipeSwappedIn: a named pipe that replaces a file between the Stat
// and the open is opened without blocking, and refused on its own Stat.
func TestPipeSwappedIn(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "X.csv")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := os.OpenFile(path, openFlags, 0) // what openRegular does after its Stat
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil || fi.Mode().Type() != os.ModeNamedPipe {
		t.Errorf("Stat of the open pipe: %v, %v; want a named pipe", fi, err)
	}
}
