//go:build pricefill_e2e

package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/pricefill/pricefill/export"
)

// RowGroupRowsEnv names the variable that, in the program the end-to-end
// tests build (with the tag pricefill_e2e), sets the rows of a row group
// of --export's Parquet files: small groups, for a test of the memory of
// an export that is far smaller than the exports it stands for. Builds
// without the tag have no such variable.
const RowGroupRowsEnv = "PRICEFILL_E2E_ROW_GROUP_ROWS"

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
