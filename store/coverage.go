package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
	"github.com/pricefill/pricefill/validate/calendar"
)

// A SymbolCoverage is what the database holds of one symbol: the span and
// number of its stored bars, its known holes, and when its prices were
// last saved. [SymbolCoverage.Completeness] says how much of the span's
// trading days is stored.
type SymbolCoverage struct {
	// Asset is the symbol's asset as stored: its exchange and time zone
	// choose its calendar (see [calendar.For]).
	Asset pricefill.Asset
	// First and Last are the dates of its first and last stored bars;
	// zero when none is stored.
	First, Last time.Time
	// Bars is the number of bars stored.
	Bars int
	// Holes counts the holes known of the symbol (see [backfill.Hole]),
	// by reason, on any date; nil when none is known.
	Holes map[backfill.HoleReason]int
	// LastUpdate is when a save last stored prices of the symbol (its
	// tracked_assets row's last_price_update), in UTC: the last run that
	// fetched it, whether or not it brought new days. Zero when its prices
	// were never saved.
	LastUpdate time.Time
}

// HoleCount returns the number of holes known of the symbol, whatever
// their reason.
func (c SymbolCoverage) HoleCount() int {
	n := 0
	for _, k := range c.Holes {
		n += k
	}
	return n
}

// Sessions returns the number of trading days of cal from c.First to
// c.Last, both included: the bars a complete history of the span has.
// It is 0 when no bar is stored.
func (c SymbolCoverage) Sessions(cal calendar.Calendar) int {
	if c.Bars == 0 {
		return 0
	}
	return len(cal.TradingDays(c.First, c.Last))
}

// Completeness returns the share of the trading days of cal from c.First
// to c.Last that have a stored bar, in percent, as the runner's
// completeness and [calendar.Completeness] count it: 100 when none is
// missing. It counts the bars stored, which the validator keeps to
// trading days; a bar on a day that cal holds no session counts too,
// up to 100. It is 0 when no bar is stored.
//
// Use the calendar the bars were validated by: [calendar.For] of
// c.Asset, unless the runner was given another (WithCalendarFor).
func (c SymbolCoverage) Completeness(cal calendar.Calendar) float64 {
	if c.Bars == 0 {
		return 0
	}
	n := c.Sessions(cal)
	if n <= c.Bars {
		return 100
	}
	return float64(c.Bars) * 100 / float64(n)
}

// Coverage returns the coverage of each asset the database holds among
// symbols (canonical; none for every asset), in byte order of the
// symbol; an asset without a stored bar (a symbol that failed, or whose
// name only was put) has zero Bars. A symbol the database does not hold
// is left out. It reads with two grouped queries, whatever the number of
// symbols.
func (db *DB) Coverage(ctx context.Context, symbols []string) ([]SymbolCoverage, error) {
	where, args := "", []any(nil)
	if len(symbols) > 0 {
		where, args = ` WHERE `+db.d.InStrings("a.symbol", 1), []any{db.d.Strings(symbols)}
	}
	rows, err := db.x.QueryxContext(ctx, db.d.Rebind(`SELECT a.symbol, a.name, a.currency, a.exchange, a.timezone, a.sector,
			min(p.date), max(p.date), count(p.date), t.last_price_update
		FROM assets a
		LEFT JOIN prices p ON p.asset_id = a.id
		LEFT JOIN tracked_assets t ON t.asset_id = a.id`+where+`
		GROUP BY a.id, a.symbol, a.name, a.currency, a.exchange, a.timezone, a.sector, t.last_price_update`), args...)
	out, err := scanAll(rows, err, "store: coverage", func(rows *sqlx.Rows) (SymbolCoverage, error) {
		var (
			c                            SymbolCoverage
			name, currency, exchange, tz sql.NullString
			sector                       sql.NullString
			first, last                  sqldialect.Date
			updated                      sqldialect.Time
		)
		err := rows.Scan(&c.Asset.Symbol, &name, &currency, &exchange, &tz, &sector, &first, &last, &c.Bars, &updated)
		c.Asset.Name, c.Asset.Currency, c.Asset.Exchange, c.Asset.Timezone, c.Asset.Sector =
			name.String, currency.String, exchange.String, tz.String, sector.String
		c.First, c.Last, c.LastUpdate = first.Time, last.Time, updated.Time
		return c, err
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	slices.SortFunc(out, func(a, b SymbolCoverage) int { return strings.Compare(a.Asset.Symbol, b.Asset.Symbol) })

	rows, err = db.x.QueryxContext(ctx, db.d.Rebind(`SELECT a.symbol, h.reason, count(*)
		FROM holes h JOIN assets a ON a.id = h.asset_id`+where+`
		GROUP BY a.symbol, h.reason`), args...)
	type count struct {
		symbol string
		reason backfill.HoleReason
		n      int
	}
	counts, err := scanAll(rows, err, "store: coverage: holes", func(rows *sqlx.Rows) (count, error) {
		var c count
		err := rows.Scan(&c.symbol, &c.reason, &c.n)
		return c, err
	})
	if err != nil {
		return nil, err
	}
	for _, h := range counts {
		i, ok := slices.BinarySearchFunc(out, h.symbol, func(c SymbolCoverage, s string) int { return strings.Compare(c.Asset.Symbol, s) })
		if !ok {
			return nil, fmt.Errorf("store: coverage: holes of %s, an asset not read", h.symbol)
		}
		if out[i].Holes == nil {
			out[i].Holes = map[backfill.HoleReason]int{}
		}
		out[i].Holes[h.reason] += h.n
	}
	return out, nil
}
