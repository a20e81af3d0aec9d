package store

import (
	"context"
	"fmt"
	"math"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// The store keeps the corporate actions it is given, and tells them and
// its bars to the runner, which checks fetches for restated history.
var (
	_ backfill.ActionLister = (*DB)(nil)
	_ backfill.BarLister    = (*DB)(nil)
)

// actionStatements are the statements that store a save's actions, in the
// dialect's form: $1 is the asset, $2 the date, $3 the source. A stored
// action of the same asset, date and source is replaced.
type actionStatements struct {
	dividend, split string
}

func newActionStatements(d *sqldialect.Dialect) actionStatements {
	return actionStatements{
		dividend: d.Rebind(`INSERT INTO dividends (asset_id, ex_date, source, amount, currency)
			VALUES ($1, $2, $3, $4, (SELECT currency FROM assets WHERE id = $1))
			ON CONFLICT (asset_id, ex_date, source) DO UPDATE SET amount = excluded.amount, currency = excluded.currency`),
		split: d.Rebind(`INSERT INTO splits (asset_id, date, source, numerator, denominator)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (asset_id, date, source) DO UPDATE SET numerator = excluded.numerator,
				denominator = excluded.denominator`),
	}
}

// checkActions returns an error naming the first dividend or split of s
// that the schema would refuse: a date not midnight UTC, an amount or a
// ratio's term not finite and above zero.
func checkActions(s *pricefill.Series) error {
	for _, dv := range s.Dividends {
		day := dv.Date.Format(pricefill.DateLayout)
		switch {
		case dv.Date.IsZero() || !dv.Date.Equal(pricefill.DateOf(dv.Date)):
			return fmt.Errorf("dividend date %s: want a date at midnight UTC", dv.Date)
		case !positive(dv.Amount):
			return fmt.Errorf("dividend %s: amount %v: want a finite amount above 0", day, dv.Amount)
		}
	}
	for _, sp := range s.Splits {
		day := sp.Date.Format(pricefill.DateLayout)
		switch {
		case sp.Date.IsZero() || !sp.Date.Equal(pricefill.DateOf(sp.Date)):
			return fmt.Errorf("split date %s: want a date at midnight UTC", sp.Date)
		case !positive(sp.Numerator) || !positive(sp.Denominator):
			return fmt.Errorf("split %s: ratio %v:%v: want finite terms above 0", day, sp.Numerator, sp.Denominator)
		}
	}
	return nil
}

func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

// actionsSource is the source the actions of s are stored under: that of
// its last bar, or "" when it has none (and then no action is stored).
func actionsSource(s *pricefill.Series) string {
	if n := len(s.Bars); n > 0 {
		return s.Bars[n-1].Source
	}
	return ""
}

// saveActions stores the dividends and splits of s for the asset in tx,
// under the source of its bars, each replacing the stored one of its date
// and source. A series without bars stores none: its actions have no
// source to be stored under.
func (db *DB) saveActions(ctx context.Context, tx *sqlx.Tx, assetID int64, s *pricefill.Series) error {
	src := actionsSource(s)
	if len(s.Bars) == 0 {
		return nil
	}
	for _, dv := range s.Dividends {
		if _, err := db.cache.Exec(ctx, tx, db.stmts.actions.dividend, assetID, sqldialect.FormatDate(dv.Date), src, dv.Amount); err != nil {
			return fmt.Errorf("store dividend %s: %w", dv.Date.Format(pricefill.DateLayout), err)
		}
	}
	for _, sp := range s.Splits {
		if _, err := db.cache.Exec(ctx, tx, db.stmts.actions.split, assetID, sqldialect.FormatDate(sp.Date), src,
			sp.Numerator, sp.Denominator); err != nil {
			return fmt.Errorf("store split %s: %w", sp.Date.Format(pricefill.DateLayout), err)
		}
	}
	return nil
}

// Dividends returns the dividends stored for symbol with an ex-date within
// r, in date order, one per date and source (of two sources, in the order
// of their names). A symbol the database does not know has none.
func (db *DB) Dividends(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Dividend, error) {
	rows, err := db.x.QueryxContext(ctx, db.d.Rebind(`SELECT d.ex_date, d.amount
		FROM dividends d JOIN assets a ON a.id = d.asset_id
		WHERE a.symbol = $1 AND d.ex_date >= $2 AND d.ex_date <= $3 ORDER BY d.ex_date, d.source`),
		symbol, sqldialect.FormatDate(r.From), sqldialect.FormatDate(r.To))
	return scanAll(rows, err, fmt.Sprintf("store: dividends of %s in %s", symbol, r), func(rows *sqlx.Rows) (pricefill.Dividend, error) {
		var (
			dv pricefill.Dividend
			d  sqldialect.Date
		)
		err := rows.Scan(&d, &dv.Amount)
		dv.Date = d.Time
		return dv, err
	})
}

// Splits returns the splits stored for symbol effective within r, in date
// order, one per date and source (of two sources, in the order of their
// names). A symbol the database does not know has none.
func (db *DB) Splits(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Split, error) {
	rows, err := db.x.QueryxContext(ctx, db.d.Rebind(`SELECT s.date, s.numerator, s.denominator
		FROM splits s JOIN assets a ON a.id = s.asset_id
		WHERE a.symbol = $1 AND s.date >= $2 AND s.date <= $3 ORDER BY s.date, s.source`),
		symbol, sqldialect.FormatDate(r.From), sqldialect.FormatDate(r.To))
	return scanAll(rows, err, fmt.Sprintf("store: splits of %s in %s", symbol, r), func(rows *sqlx.Rows) (pricefill.Split, error) {
		var (
			sp pricefill.Split
			d  sqldialect.Date
		)
		err := rows.Scan(&d, &sp.Numerator, &sp.Denominator)
		sp.Date = d.Time
		return sp, err
	})
}

// StoredBars is [DB.Bars], for the runner (see [backfill.BarLister]): it
// compares the adjusted closes of the days a fetch overlaps.
func (db *DB) StoredBars(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Bar, error) {
	return db.Bars(ctx, symbol, r)
}
