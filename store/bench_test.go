package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/store/internal/sqldialect"
)

// The insert benchmarks load a year of bars for 500 symbols into an empty
// database.
const (
	benchSymbols = 500
	benchDays    = 252
)

var benchUniverse = sync.OnceValue(func() []*pricefill.Series {
	out := make([]*pricefill.Series, benchSymbols)
	for i := range out {
		sym := fmt.Sprintf("B%03d", i)
		out[i] = &pricefill.Series{Asset: pricefill.Asset{Symbol: sym, Name: "Bench " + sym, Currency: "USD"}, Bars: weekdays(sym, pricefill.Date(2025, 1, 1), benchDays)}
	}
	return out
})

// benchLoad runs load on a new, empty database once per b.N and reports
// the bars stored per second.
func benchLoad(b *testing.B, d dialect, setup func(b *testing.B, db *store.DB), load func(b *testing.B, db *store.DB, all []*pricefill.Series)) {
	all := benchUniverse()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		db := open(b, d.dsn(b))
		if setup != nil {
			setup(b, db)
		}
		b.StartTimer()
		t0 := time.Now()
		load(b, db, all)
		elapsed += time.Since(t0)
		b.StopTimer()
		table := "prices"
		if setup != nil {
			table = "prices_copy"
		}
		var n int
		if err := db.SQLX().GetContext(ctx, &n, `SELECT count(*) FROM `+table); err != nil {
			b.Fatal(err)
		}
		if n != benchSymbols*benchDays {
			b.Fatalf("%d bars stored, want %d", n, benchSymbols*benchDays)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*benchSymbols*benchDays)/elapsed.Seconds(), "bars/s")
	b.ReportMetric(0, "ns/op") // one op is a whole load; bars/s says it
}

// saveAll saves every series with Save, from workers goroutines.
func saveAll(workers int) func(b *testing.B, db *store.DB, all []*pricefill.Series) {
	return func(b *testing.B, db *store.DB, all []*pricefill.Series) {
		next := make(chan *pricefill.Series)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for s := range next {
					if _, err := db.Save(ctx, backfill.SaveRequest{Series: s}); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for _, s := range all {
			next <- s
		}
		close(next)
		wg.Wait()
	}
}

// insertRows stores each series in a transaction of its own, as Save does,
// but with one INSERT per bar.
func insertRows(b *testing.B, db *store.DB, all []*pricefill.Series) {
	x := db.SQLX()
	for _, s := range all {
		err := inTx(x, func(tx *sqlx.Tx) error {
			var id int64
			if err := tx.GetContext(ctx, &id, db.Rebind(`INSERT INTO assets (symbol, name, currency, created_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (symbol) DO UPDATE SET name = excluded.name RETURNING id`),
				s.Asset.Symbol, s.Asset.Name, s.Asset.Currency, sqldialect.FormatTime(time.Now())); err != nil {
				return err
			}
			stmt, err := tx.PreparexContext(ctx, db.Rebind(`INSERT INTO prices (asset_id, date, open, high, low, close, adj_close, volume, source)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (asset_id, date) DO NOTHING`))
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, r := range s.Bars {
				if _, err := stmt.ExecContext(ctx, id, sqldialect.FormatDate(r.Date), r.Open, r.High, r.Low, r.Close, r.AdjClose, r.Volume, r.Source); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// copyTable makes prices_copy, a table like prices (its keys, checks and
// foreign key), and the assets its rows refer to.
func copyTable(b *testing.B, db *store.DB) {
	x := db.SQLX()
	for _, q := range []string{
		`CREATE TABLE prices_copy (LIKE prices INCLUDING ALL)`,
		`ALTER TABLE prices_copy ADD FOREIGN KEY (asset_id) REFERENCES assets (id)`,
		`INSERT INTO assets (id, symbol, created_at) SELECT i, 'B' || lpad((i - 1)::text, 3, '0'), now() FROM generate_series(1, 500) AS i`,
	} {
		if _, err := x.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// copyRows loads every series with a bare COPY into prices_copy: one
// transaction and one COPY per symbol when perSymbol, else one COPY of
// everything.
func copyRows(perSymbol bool) func(b *testing.B, db *store.DB, all []*pricefill.Series) {
	return func(b *testing.B, db *store.DB, all []*pricefill.Series) {
		groups := [][]*pricefill.Series{all}
		if perSymbol {
			groups = groups[:0]
			for _, s := range all {
				groups = append(groups, []*pricefill.Series{s})
			}
		}
		for _, g := range groups {
			err := inTx(db.SQLX(), func(tx *sqlx.Tx) error {
				stmt, err := tx.PrepareContext(ctx, `COPY prices_copy (asset_id, date, open, high, low, close, adj_close, volume, source) FROM STDIN`)
				if err != nil {
					return err
				}
				defer stmt.Close()
				for _, s := range g {
					var id int64
					fmt.Sscanf(s.Asset.Symbol, "B%d", &id)
					for _, r := range s.Bars {
						if _, err := stmt.ExecContext(ctx, id+1, sqldialect.FormatDate(r.Date), r.Open, r.High, r.Low, r.Close, r.AdjClose, r.Volume, r.Source); err != nil {
							return err
						}
					}
				}
				_, err = stmt.ExecContext(ctx)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// copyStagingSave stores each series as Save did before it used unnest on
// PostgreSQL: in a transaction of its own, the asset, a COPY into a
// temporary table (ON COMMIT DELETE ROWS), INSERT … SELECT … ON CONFLICT DO
// NOTHING from it into prices, and tracked_assets. Kept as a baseline.
func copyStagingSave(b *testing.B, db *store.DB, all []*pricefill.Series) {
	for _, s := range all {
		err := inTx(db.SQLX(), func(tx *sqlx.Tx) error {
			var id int64
			if err := tx.GetContext(ctx, &id, `INSERT INTO assets (symbol, name, currency, created_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (symbol) DO UPDATE SET name = COALESCE(excluded.name, assets.name) RETURNING id`,
				s.Asset.Symbol, s.Asset.Name, s.Asset.Currency, sqldialect.FormatTime(time.Now())); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `CREATE TEMPORARY TABLE IF NOT EXISTS bars_in (date date NOT NULL,
				open float8 NOT NULL, high float8 NOT NULL, low float8 NOT NULL, close float8 NOT NULL, adj_close float8,
				volume bigint NOT NULL, source text NOT NULL) ON COMMIT DELETE ROWS`); err != nil {
				return err
			}
			stmt, err := tx.PrepareContext(ctx, `COPY bars_in (date, open, high, low, close, adj_close, volume, source) FROM STDIN`)
			if err != nil {
				return err
			}
			for _, r := range s.Bars {
				if _, err := stmt.ExecContext(ctx, sqldialect.FormatDate(r.Date), r.Open, r.High, r.Low, r.Close, r.AdjClose, r.Volume, r.Source); err != nil {
					return err
				}
			}
			if _, err := stmt.ExecContext(ctx); err != nil {
				return err
			}
			if err := stmt.Close(); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO prices (asset_id, date, open, high, low, close, adj_close, volume, source)
				SELECT $1::bigint, date, open, high, low, close, adj_close, volume, source FROM bars_in
				ON CONFLICT (asset_id, date) DO NOTHING`, id); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO tracked_assets (asset_id, last_price_update, first_date, last_date)
				VALUES ($1, $2, (SELECT min(date) FROM prices WHERE asset_id = $1), (SELECT max(date) FROM prices WHERE asset_id = $1))
				ON CONFLICT (asset_id) DO UPDATE SET last_price_update = excluded.last_price_update,
					first_date = excluded.first_date, last_date = excluded.last_date`, id, sqldialect.FormatTime(time.Now()))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func inTx(x *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := x.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// BenchmarkInsert loads 500 symbols × 252 days into an empty database:
// with Save (one transaction per symbol), from one goroutine and from
// four; with one INSERT per row; and, on PostgreSQL, with Save's former
// COPY-into-a-temporary-table path, and with a bare COPY into a table like
// prices, per symbol and all at once.
func BenchmarkInsert(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.name+"/save", func(b *testing.B) { benchLoad(b, d, nil, saveAll(1)) })
		b.Run(d.name+"/save-4-workers", func(b *testing.B) { benchLoad(b, d, nil, saveAll(4)) })
		b.Run(d.name+"/insert-per-row", func(b *testing.B) { benchLoad(b, d, nil, insertRows) })
		if d.name == "postgres" {
			b.Run(d.name+"/copy-staging-save", func(b *testing.B) { benchLoad(b, d, nil, copyStagingSave) })
			b.Run(d.name+"/raw-copy-per-symbol", func(b *testing.B) { benchLoad(b, d, copyTable, copyRows(true)) })
			b.Run(d.name+"/raw-copy-all-at-once", func(b *testing.B) { benchLoad(b, d, copyTable, copyRows(false)) })
		}
	}
}

// BenchmarkClaimComplete runs 8 workers that claim and complete 1,000
// tasks, and reports the tasks done per second.
func BenchmarkClaimComplete(b *testing.B) {
	const tasks, workers = 1000, 8
	for _, d := range dialects {
		b.Run(d.name, func(b *testing.B) {
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				db := open(b, d.dsn(b))
				specs := make([]queue.Spec, tasks)
				for i := range specs {
					specs[i] = queue.Spec{Symbol: fmt.Sprintf("Q%04d", i), Range: pricefill.Range{From: pricefill.Date(2025, 1, 1), To: pricefill.Date(2025, 12, 31)}}
				}
				ids, err := db.Enqueue(ctx, specs, queue.EnqueueOptions{})
				if err != nil {
					b.Fatal(err)
				}
				run, _, err := db.StartRun(ctx, ids, "bench", time.Hour)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				var wg sync.WaitGroup
				for w := range workers {
					wg.Go(func() {
						for {
							task, err := db.Claim(ctx, run, fmt.Sprintf("w%d", w), time.Minute)
							if err != nil {
								b.Error(err)
								return
							}
							if task == nil {
								return
							}
							if err := db.Finish(ctx, task, queue.Succeed(queue.Result{Counts: pricefill.Counts{Inserted: 252}})); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed += time.Since(t0)
				b.StopTimer()
				if s := countTasks(b, db, ids); s.Counts[queue.Completed] != tasks {
					b.Fatalf("%v, want %d completed", s.Counts, tasks)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*tasks)/elapsed.Seconds(), "tasks/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// benchLimiter returns a limiter named "bench" on the shared budget of a
// new, empty database of d, opened with opts (without WithClock, on
// PostgreSQL the budget's time is the database's), with no interval, no
// daily limit and the hourly limit given.
func benchLimiter(b *testing.B, d dialect, hourly int, opts ...store.Option) *ratelimit.Limiter {
	db := open(b, d.dsn(b), opts...)
	l, err := ratelimit.New(ratelimit.WithLedger(db.Ledger()), ratelimit.WithName("bench"),
		ratelimit.WithInterval(0), ratelimit.WithHourlyLimit(hourly), ratelimit.WithDailyLimit(0))
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkLedgerGrant measures the shared budget of [store.DB.Ledger]:
//
//   - allow: one grant, Allow with an hourly limit of 1<<30, so that every
//     call grants. Each grant adds a row to rate_grants, which keeps a
//     day's; fewer grants than the limit were ever made, so the decision
//     needs no grant of the hour (Entry.Nth answers without a query).
//   - allow-nth: one grant, Allow with an hourly limit of 100 whose
//     decision looks up the 100th latest grant, which is older than an
//     hour: the store's clock (WithClock) moves 37 s a call, and 100
//     grants are made before the timing starts.
//   - answered: one Answered, which changes nothing in the state after the
//     first (the row's last_now still moves on).
//   - allow-hour-full: Allow on a budget whose hourly limit (2000, the
//     default) is used up, which grants nothing: the decision looks up the
//     2000th latest grant, which is in the hour.
func BenchmarkLedgerGrant(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.name+"/allow", func(b *testing.B) {
			l := benchLimiter(b, d, 1<<30)
			for b.Loop() {
				if ok, err := l.Allow(ctx); err != nil || !ok {
					b.Fatalf("Allow = %t, %v; want a grant", ok, err)
				}
			}
		})
		b.Run(d.name+"/allow-nth", func(b *testing.B) {
			const hourly, step = 100, 37 * time.Second // 97 grants an hour
			clock := clocktest.NewFake(time.Now().UTC().Truncate(time.Second))
			l := benchLimiter(b, d, hourly, store.WithClock(clock))
			allow := func() {
				clock.Advance(step)
				if ok, err := l.Allow(ctx); err != nil || !ok {
					b.Fatalf("Allow = %t, %v; want a grant", ok, err)
				}
			}
			for range hourly {
				allow()
			}
			for b.Loop() {
				allow()
			}
		})
		b.Run(d.name+"/answered", func(b *testing.B) {
			l := benchLimiter(b, d, 1<<30)
			for b.Loop() {
				if err := l.Answered(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(d.name+"/allow-hour-full", func(b *testing.B) {
			const hourly = ratelimit.HourlyLimitDefault
			l := benchLimiter(b, d, hourly)
			for range hourly {
				if ok, err := l.Allow(ctx); err != nil || !ok {
					b.Fatalf("Allow = %t, %v; want a grant", ok, err)
				}
			}
			for b.Loop() {
				if ok, err := l.Allow(ctx); err != nil || ok {
					b.Fatalf("Allow = %t, %v; want none: the hour is full", ok, err)
				}
			}
		})
	}
}
