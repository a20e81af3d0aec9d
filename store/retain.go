package store

import (
	"context"
	"fmt"
	"time"

	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// Retained says what [DB.Retain] deleted.
type Retained struct {
	// Tasks counts the queue's tasks deleted: those that ended (completed
	// or permanently_failed) before the cut-off. A run of the same range
	// enqueues them anew, and fetches only what the store lacks.
	Tasks int64
	// Logs counts the records of fetcher_logs deleted.
	Logs int64
}

// Retain deletes the history older than keep: the queue's tasks that ended
// longer ago (and the runs that have not been alive for as long), and the
// records of fetcher_logs. Prices, assets and the rate budgets are never
// deleted, and neither are unfinished tasks. A keep of 0 or less deletes
// nothing.
func (db *DB) Retain(ctx context.Context, keep time.Duration) (Retained, error) {
	var r Retained
	if keep <= 0 {
		return r, nil
	}
	var err error
	if r.Tasks, err = db.Prune(ctx, keep); err != nil {
		return r, fmt.Errorf("store: retain %s: %w", keep, err)
	}
	// The log handler stamps records with the store's clock.
	before := sqldialect.FormatTime(db.clock.Now().Add(-keep))
	res, err := db.x.ExecContext(ctx, db.d.Rebind(`DELETE FROM fetcher_logs WHERE ts < $1`), before)
	if err == nil {
		r.Logs, err = res.RowsAffected()
	}
	if err != nil {
		return r, fmt.Errorf("store: retain %s: fetcher_logs: %w", keep, err)
	}
	return r, nil
}
