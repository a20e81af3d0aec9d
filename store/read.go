package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// StoredDates returns the dates within r for which symbol has a stored
// bar, in ascending order, as midnight UTC. The runner uses them to fetch
// only the days missing.
func (db *DB) StoredDates(ctx context.Context, symbol string, r pricefill.Range) ([]time.Time, error) {
	rows, err := db.x.QueryxContext(ctx, db.d.Rebind(`SELECT p.date FROM prices p JOIN assets a ON a.id = p.asset_id
		WHERE a.symbol = $1 AND p.date >= $2 AND p.date <= $3 ORDER BY p.date`),
		symbol, sqldialect.FormatDate(r.From), sqldialect.FormatDate(r.To))
	return scanAll(rows, err, fmt.Sprintf("store: dates of %s in %s", symbol, r), func(rows *sqlx.Rows) (time.Time, error) {
		var d sqldialect.Date
		err := rows.Scan(&d)
		return d.Time, err
	})
}

// Bars returns the stored bars of symbol within r, in date order.
func (db *DB) Bars(ctx context.Context, symbol string, r pricefill.Range) ([]pricefill.Bar, error) {
	rows, err := db.x.QueryxContext(ctx, db.d.Rebind(`SELECT p.date, p.open, p.high, p.low, p.close, p.adj_close, p.volume, p.source
		FROM prices p JOIN assets a ON a.id = p.asset_id
		WHERE a.symbol = $1 AND p.date >= $2 AND p.date <= $3 ORDER BY p.date`),
		symbol, sqldialect.FormatDate(r.From), sqldialect.FormatDate(r.To))
	return scanAll(rows, err, fmt.Sprintf("store: bars of %s in %s", symbol, r), func(rows *sqlx.Rows) (pricefill.Bar, error) {
		b := pricefill.Bar{Symbol: symbol}
		var (
			d   sqldialect.Date
			adj sql.NullFloat64
		)
		err := rows.Scan(&d, &b.Open, &b.High, &b.Low, &b.Close, &adj, &b.Volume, &b.Source)
		b.Date, b.AdjClose = d.Time, adj.Float64
		return b, err
	})
}

// scanAll reads the rows of a query, each with scan, and closes them; err
// is the query's. Every error is wrapped with what, which names the read.
func scanAll[T any](rows *sqlx.Rows, err error, what string, scan func(*sqlx.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Asset returns the stored description of symbol, or nil when symbol is
// not an asset of the database.
func (db *DB) Asset(ctx context.Context, symbol string) (*pricefill.Asset, error) {
	a := pricefill.Asset{Symbol: symbol}
	var name, currency, exchange, tz, sector sql.NullString
	err := db.x.QueryRowxContext(ctx, db.d.Rebind(`SELECT name, currency, exchange, timezone, sector FROM assets WHERE symbol = $1`), symbol).
		Scan(&name, &currency, &exchange, &tz, &sector)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: asset %s: %w", symbol, err)
	}
	a.Name, a.Currency, a.Exchange, a.Timezone, a.Sector = name.String, currency.String, exchange.String, tz.String, sector.String
	return &a, nil
}

// A Tracked is the tracked_assets row of a symbol: when its prices were
// last saved and the span of dates stored.
type Tracked struct {
	Symbol          string
	LastPriceUpdate time.Time
	// FirstDate and LastDate are the first and last dates of the stored
	// bars, over all of them; zero when none is stored.
	FirstDate, LastDate time.Time
}

// Tracked returns the tracked_assets row of symbol, or nil when its prices
// were never saved.
func (db *DB) Tracked(ctx context.Context, symbol string) (*Tracked, error) {
	t := Tracked{Symbol: symbol}
	var (
		last         sqldialect.Time
		first, lastD sqldialect.Date
	)
	err := db.x.QueryRowxContext(ctx, db.d.Rebind(`SELECT t.last_price_update, t.first_date, t.last_date
		FROM tracked_assets t JOIN assets a ON a.id = t.asset_id WHERE a.symbol = $1`), symbol).Scan(&last, &first, &lastD)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: tracked asset %s: %w", symbol, err)
	}
	t.LastPriceUpdate, t.FirstDate, t.LastDate = last.Time, first.Time, lastD.Time
	return &t, nil
}

// Holes returns the holes recorded for symbol within r, in date order:
// the trading days the provider was asked for and did not serve (see
// [backfill.Hole]), each dated midnight UTC and last asked at a time in
// UTC. A symbol the database does not know has none.
func (db *DB) Holes(ctx context.Context, symbol string, r pricefill.Range) ([]backfill.Hole, error) {
	rows, err := db.x.QueryxContext(ctx, db.d.Rebind(`SELECT h.date, h.reason, h.detail, h.asks, h.last_asked
		FROM holes h JOIN assets a ON a.id = h.asset_id
		WHERE a.symbol = $1 AND h.date >= $2 AND h.date <= $3 ORDER BY h.date`),
		symbol, sqldialect.FormatDate(r.From), sqldialect.FormatDate(r.To))
	return scanAll(rows, err, fmt.Sprintf("store: holes of %s in %s", symbol, r), func(rows *sqlx.Rows) (backfill.Hole, error) {
		var (
			h    backfill.Hole
			d    sqldialect.Date
			last sqldialect.Time
		)
		err := rows.Scan(&d, &h.Reason, &h.Detail, &h.Asks, &last)
		h.Date, h.LastAsked = d.Time, last.Time
		return h, err
	})
}

// HoleCounts returns the number of holes recorded over every symbol, by
// reason; a reason with none is not in the map, which is empty when the
// database knows no hole.
func (db *DB) HoleCounts(ctx context.Context) (map[backfill.HoleReason]int, error) {
	rows, err := db.x.QueryxContext(ctx, `SELECT reason, count(*) FROM holes GROUP BY reason`)
	type count struct {
		reason backfill.HoleReason
		n      int
	}
	counts, err := scanAll(rows, err, "store: count holes", func(rows *sqlx.Rows) (count, error) {
		var c count
		err := rows.Scan(&c.reason, &c.n)
		return c, err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[backfill.HoleReason]int, len(counts))
	for _, c := range counts {
		out[c.reason] = c.n
	}
	return out, nil
}

// A BarQuery selects the stored bars that [DB.AllBars] reads. Its zero
// value selects every bar of every symbol.
type BarQuery struct {
	// Symbols are the symbols whose bars to read, canonical (see
	// [pricefill.NormalizeSymbol]); none reads every symbol stored. A
	// symbol the database does not hold reads as no bars, and one given
	// twice is read once.
	Symbols []string
	// Range is the span of dates to read, both ends included, as
	// midnight UTC. A zero From reads from the first date stored and a
	// zero To up to the last: the zero Range reads every date.
	Range pricefill.Range
}

// bounds returns the first and last dates q reads, as parameters.
func (q BarQuery) bounds() (from, to string, err error) {
	r := q.Range
	for _, d := range []time.Time{r.From, r.To} {
		if !d.IsZero() && !d.Equal(pricefill.DateOf(d)) {
			return "", "", fmt.Errorf("range %s: dates must be midnight UTC (use pricefill.Date or DateOf)", r)
		}
	}
	if !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
		return "", "", fmt.Errorf("range %s: ends before it starts", r)
	}
	from, to = "0001-01-01", "9999-12-31" // every date a column holds
	if !r.From.IsZero() {
		from = sqldialect.FormatDate(r.From)
	}
	if !r.To.IsZero() {
		to = sqldialect.FormatDate(r.To)
	}
	return from, to, nil
}

// AllBars returns the stored bars that q selects, ordered by symbol (by
// bytes, in both dialects: BRK.B before BRKA) and, within a symbol, by
// date, each with its Symbol and Source. It reads them from one query as
// the loop asks for them, so its memory stays the same however many bars
// there are; stopping the loop early ends the query and gives its
// connection back. A bad q, or a failure of the query (its context
// ending, say), is the loop's last value: a zero Bar and the error.
//
// The query holds a connection until the loop ends. On SQLite the store
// has one connection, so the loop's body must not use db: a call of db
// inside it waits for the loop to end, or for its own context to.
//
// It is for getting data out (package export writes it to CSV or
// Parquet); [DB.Bars] reads one symbol's bars into a slice.
func (db *DB) AllBars(ctx context.Context, q BarQuery) iter.Seq2[pricefill.Bar, error] {
	return func(yield func(pricefill.Bar, error) bool) {
		from, to, err := q.bounds()
		if err != nil {
			yield(pricefill.Bar{}, fmt.Errorf("store: all bars: %w", err))
			return
		}
		where, args := `p.date >= $1 AND p.date <= $2`, []any{from, to}
		if len(q.Symbols) > 0 {
			where += ` AND ` + db.d.InStrings("a.symbol", 3)
			args = append(args, db.d.Strings(q.Symbols))
		}
		rows, err := db.x.QueryContext(ctx, db.d.Rebind(`SELECT a.symbol, p.date, p.open, p.high, p.low, p.close, p.adj_close, p.volume, p.source
			FROM prices p JOIN assets a ON a.id = p.asset_id
			WHERE `+where+` ORDER BY `+db.d.ByteOrder("a.symbol")+`, p.date`), args...)
		if err != nil {
			yield(pricefill.Bar{}, fmt.Errorf("store: all bars: %w", err))
			return
		}
		defer rows.Close()
		var (
			b           pricefill.Bar
			d           sqldialect.Date
			adj         sql.NullFloat64
			sym, source sql.RawBytes
		)
		for rows.Next() {
			if err := rows.Scan(&sym, &d, &b.Open, &b.High, &b.Low, &b.Close, &adj, &b.Volume, &source); err != nil {
				yield(pricefill.Bar{}, fmt.Errorf("store: all bars: %w", err))
				return
			}
			// The rows of a symbol come together, and most share a
			// source: keep the strings of the row before when they are
			// the same, rather than make new ones.
			if string(sym) != b.Symbol {
				b.Symbol = string(sym)
			}
			if string(source) != b.Source {
				b.Source = string(source)
			}
			b.Date, b.AdjClose = d.Time, adj.Float64
			if !yield(b, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(pricefill.Bar{}, fmt.Errorf("store: all bars: %w", err))
		}
	}
}
