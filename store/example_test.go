package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store"
)

// A worker's round trip through an SQLite file: enqueue a task, claim it,
// save its bars, which completes it in the same transaction, and save them
// again, which stores nothing twice.
func Example() {
	ctx := context.Background()
	db, cleanup := openTemp(ctx) // a store on an SQLite file in a new directory
	defer cleanup()

	r := pricefill.Range{From: pricefill.Date(2025, 1, 6), To: pricefill.Date(2025, 1, 8)}
	ids, err := db.Enqueue(ctx, []queue.Spec{{Symbol: "AAPL", Range: r}}, queue.EnqueueOptions{})
	if err != nil {
		log.Fatal(err)
	}
	run, _, err := db.StartRun(ctx, ids, "process-1", time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	task, err := db.Claim(ctx, run, "worker-1", time.Minute)
	if err != nil {
		log.Fatal(err)
	}

	var bars []pricefill.Bar
	for i, day := range []int{6, 7, 8} {
		p := 240 + float64(i)
		bars = append(bars, pricefill.Bar{Symbol: "AAPL", Date: pricefill.Date(2025, 1, day),
			Open: p, High: p + 2, Low: p - 2, Close: p + 1, AdjClose: p + 1, Volume: 40_000_000, Source: "example"})
	}
	series := &pricefill.Series{Asset: pricefill.Asset{Symbol: "AAPL", Name: "Apple Inc.", Currency: "USD"}, Bars: bars}

	// The bars and the task's completion commit together.
	res, err := db.SaveAndComplete(ctx, backfill.SaveRequest{Series: series, Range: r}, task, 100)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("first save: %d inserted, %d skipped\n", res.Inserted, res.Skipped)

	res, err = db.Save(ctx, backfill.SaveRequest{Series: series, Range: r})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("again: %d inserted, %d skipped\n", res.Inserted, res.Skipped)

	done, err := db.Get(ctx, task.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("task:", done.Status, done.Result.Inserted, "bars")

	dates, err := db.StoredDates(ctx, "AAPL", r)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range dates {
		fmt.Println(d.Format(pricefill.DateLayout))
	}
	// Output:
	// first save: 3 inserted, 0 skipped
	// again: 0 inserted, 3 skipped
	// task: completed 3 bars
	// 2025-01-06
	// 2025-01-07
	// 2025-01-08
}

// Logging to the console and to fetcher_logs at once.
func ExampleDB_NewLogHandler() {
	ctx := context.Background()
	db, cleanup := openTemp(ctx) // a store on an SQLite file in a new directory
	defer cleanup()

	h, err := db.NewLogHandler()
	if err != nil {
		log.Fatal(err)
	}
	console := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the example's output the same every time
			}
			return a
		},
	})
	logger := slog.New(slog.NewMultiHandler(console, h))
	logger.Info("stored", "symbol", "AAPL", "task_id", 1, "inserted", 3)
	if err := h.Close(); err != nil { // writes what is buffered
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", h.Stats())
	// Output:
	// level=INFO msg=stored symbol=AAPL task_id=1 inserted=3
	// {Written:1 Dropped:0}
}

// Two processes (here two stores on one SQLite file) share the budget of
// "yahoo": the grant of one holds the other back for the interval.
func ExampleDB_Ledger() {
	dir, remove := tempDir()
	defer remove()

	ctx := context.Background()
	newLimiter := func() (*ratelimit.Limiter, *store.DB) {
		db, err := store.Open(ctx, filepath.Join(dir, "backfill.db"))
		if err != nil {
			log.Fatal(err)
		}
		l, err := ratelimit.New(ratelimit.WithLedger(db.Ledger()), ratelimit.WithName("yahoo"), ratelimit.WithInterval(time.Minute))
		if err != nil {
			log.Fatal(err)
		}
		return l, db
	}
	a, dbA := newLimiter()
	defer dbA.Close()
	b, dbB := newLimiter()
	defer dbB.Close()

	ok, err := a.Allow(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("process A granted:", ok)
	ok, err = b.Allow(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("process B granted:", ok)
	st, err := b.Status(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("B waits for the %s, %d granted this hour\n", st.Reason, st.HourlyCount)
	// Output:
	// process A granted: true
	// process B granted: false
	// B waits for the interval, 1 granted this hour
}

// tempDir makes a new temporary directory for an example; remove deletes
// it.
func tempDir() (dir string, remove func()) {
	dir, err := os.MkdirTemp("", "pricefill-example-")
	if err != nil {
		log.Fatal(err)
	}
	return dir, func() { os.RemoveAll(dir) }
}

// openTemp opens a store on the SQLite file backfill.db in a new
// temporary directory; cleanup closes it and deletes the directory.
func openTemp(ctx context.Context) (db *store.DB, cleanup func()) {
	dir, remove := tempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "backfill.db"))
	if err != nil {
		remove()
		log.Fatal(err)
	}
	return db, func() {
		db.Close()
		remove()
	}
}

// Migrations run at deploy time, and the service's store only checks that
// the database has them: before Migrate, Open WithoutMigrating refuses it.
func ExampleMigrate() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "pricefill-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	dsn := filepath.Join(dir, "prices.db")

	_, err = store.Open(ctx, dsn, store.WithoutMigrating())
	fmt.Println("before:", errors.Is(err, store.ErrSchemaOlder))

	if err := store.Migrate(ctx, dsn); err != nil { // at deploy time
		log.Fatal(err)
	}
	db, err := store.Open(ctx, dsn, store.WithoutMigrating())
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	fmt.Println("after: opened", db.Dialect())
	// Output:
	// before: true
	// after: opened sqlite
}

// A service hands its own PostgreSQL pool to the store, and closes it
// itself. With lib/pq:
//
//	pool, err := sql.Open("postgres", "postgres://app@db/prices?search_path=pricefill")
//
// With pgx, through its database/sql driver github.com/jackc/pgx/v5/stdlib:
//
//	pool, err := sql.Open("pgx", "postgres://app@db/prices?search_path=pricefill")
//	// or, from a *pgx.ConnConfig:
//	cfg, err := pgx.ParseConfig("postgres://app@db/prices")
//	cfg.RuntimeParams["search_path"] = "pricefill"
//	pool := stdlib.OpenDB(*cfg)
//
// (It needs a PostgreSQL server, so it has no output to check here; the
// package's tests run OpenDB on a lib/pq pool.)
func ExampleOpenDB() {
	ctx := context.Background()
	pool, err := sql.Open("postgres", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close() // after db.Close, which leaves the pool open

	db, err := store.OpenDB(ctx, pool, store.WithSchema("pricefill"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
}
