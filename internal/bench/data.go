package main

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/lib/pq"  // the "postgres" driver, to count rows
	_ "modernc.org/sqlite" // the "sqlite" driver, for the baseline and to count rows

	"github.com/pricefill/pricefill/universe"
)

// benchSymbols returns n symbols: the S&P 500's, in the order of its list,
// then made-up ones (SYN0504, …) beyond its 503.
func benchSymbols(n int) []string {
	out := universe.SP500().Tickers()
	if len(out) >= n {
		return out[:n]
	}
	for i := len(out); i < n; i++ {
		out = append(out, fmt.Sprintf("SYN%04d", i+1))
	}
	return out
}

// countPrices counts the rows of prices in the database that driver and
// dsn name, on a connection of its own.
func countPrices(ctx context.Context, driver, dsn string) (int64, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM prices`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the stored bars: %w", err)
	}
	return n, nil
}
