//go:build pricefill_e2e

package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/pricefill/pricefill/export"
)

// The variables that, in the program the end-to-end tests build (with the
// tag pricefill_e2e), let a test of the memory of --export set and read
// it. Builds without the tag have no such variables.
const (
	// RowGroupRowsEnv sets the rows of a row group of --export's Parquet
	// files: small groups, for an export far smaller than the ones it
	// stands for.
	RowGroupRowsEnv = "PRICEFILL_E2E_ROW_GROUP_ROWS"
	// PeakFileEnv names a file to which --export writes, once done, the
	// process's peak resident set in bytes: VmHWM of /proc/self/status,
	// its own pages only. The rusage of a child of a Go process is no
	// measure of it: Linux records the parent's peak in the child's when
	// the child, started with vfork, execs.
	PeakFileEnv = "PRICEFILL_E2E_PEAK_FILE"
)

// exportOptions are the options of --export's writer: the rows of a row
// group from $PRICEFILL_E2E_ROW_GROUP_ROWS, when set.
func exportOptions() ([]export.Option, error) {
	s := os.Getenv(RowGroupRowsEnv)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", RowGroupRowsEnv, err)
	}
	return []export.Option{export.WithRowGroupRows(n)}, nil
}

// notePeak writes the process's peak resident set to $PRICEFILL_E2E_PEAK_FILE,
// when set; where /proc/self/status has no VmHWM (not Linux), nothing.
func notePeak() error {
	path := os.Getenv(PeakFileEnv)
	if path == "" {
		return nil
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil
	}
	for line := range bytes.Lines(status) {
		if kib, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(kib), []byte("kB")))), 10, 64)
			if err != nil {
				return fmt.Errorf("$%s: VmHWM %q: %w", PeakFileEnv, kib, err)
			}
			return os.WriteFile(path, []byte(strconv.FormatInt(n<<10, 10)), 0o644)
		}
	}
	return nil
}
