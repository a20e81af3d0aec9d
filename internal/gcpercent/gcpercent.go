// Package gcpercent sets the pace of Go's garbage collector for the
// programs of this module, the example program and the bench program.
//
// A backfill keeps little alive (about 10 MiB of heap: the bars of the
// symbols in flight) and allocates fast (the provider's answers, the
// driver's arguments), so that at Go's default, GOGC=100, the collector
// runs about a hundred times a second. Each cycle stops every goroutine
// twice, and SQLite compiled to Go (modernc.org/sqlite) is stopped by a
// signal in its long loops: in a profile of an ingest into SQLite a fifth
// of the time went to that. Collecting when the heap has grown to five
// times what is live instead costs about 20 MiB of memory, and made an
// ingest into SQLite 1.4 times as fast (store/BENCHMARKS.md).
//
// Only runs that fetch set it: an export to Parquet makes much
// garbage of its row groups, and at GOGC=400 its peak memory grew with
// the export's size (89 MiB for 1.26 M bars against 63 MiB for 0.25 M).
package gcpercent

import (
	"os"
	"runtime/debug"
)

// Default is the GOGC of the programs unless the environment says one.
const Default = 400

// Set sets the collector's GOGC to Default, unless $GOGC is set (then the
// runtime has read it already): a user's own setting wins.
func Set() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Default)
	}
}
