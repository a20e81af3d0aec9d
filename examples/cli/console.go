package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pricefill/pricefill/backfill"
)

// A console is standard error: log lines and, on a terminal, one progress
// line kept at the bottom and redrawn in place.
type console struct {
	w        io.Writer
	terminal bool

	mu   sync.Mutex
	line string // the progress line shown, or ""
}

func newConsole(f *os.File) *console {
	st, err := f.Stat()
	return &console{w: f, terminal: err == nil && st.Mode()&os.ModeCharDevice != 0}
}

// Write writes log lines, above the progress line.
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.line == "" {
		return c.w.Write(p)
	}
	if _, err := io.WriteString(c.w, "\r\x1b[K"); err != nil {
		return 0, err
	}
	n, err := c.w.Write(p)
	if err == nil {
		_, err = io.WriteString(c.w, c.line)
	}
	return n, err
}

// progress redraws the progress line; it does nothing off a terminal,
// where the runner's periodic log lines say the same.
func (c *console) progress(p backfill.Progress) {
	if !c.terminal {
		return
	}
	line := fmt.Sprintf("[%d/%d] ok %d, failed %d, %d requests, %.2f symbols/s",
		p.Done, p.Total, p.Succeeded+p.AlreadyDone, p.Failed, p.Requests, p.Rate)
	if p.ETA > 0 {
		line += ", ETA " + p.ETA.Round(time.Second).String()
	}
	if p.Limiter != nil && p.Limiter.Holding() {
		line += "; " + p.Limiter.String()
	}
	c.status(line)
}

// status shows line at the bottom of a terminal, as the progress line is,
// until the next progress; off a terminal it does nothing.
func (c *console) status(line string) {
	if !c.terminal {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.line = line
	fmt.Fprint(c.w, "\r\x1b[K"+line)
}

// done ends the progress line, so what follows starts on a line of its own.
func (c *console) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.line != "" {
		fmt.Fprintln(c.w)
		c.line = ""
	}
}
