package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strconv"
	"testing"

	"github.com/lib/pq"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/pgtest"
)

// otherDriver stands for a PostgreSQL driver that is not lib/pq's, such
// as pgx's stdlib: the store must not COPY through it.
type otherDriver struct{ driver.Driver }

type otherConnector struct{ c driver.Connector }

func (o otherConnector) Connect(ctx context.Context) (driver.Conn, error) { return o.c.Connect(ctx) }
func (o otherConnector) Driver() driver.Driver                            { return otherDriver{o.c.Driver()} }

// TestCopyOnlyOverLibPQ: a store opened by Open, or over a lib/pq pool,
// saves by COPY where it can; over any other driver it always merges.
func TestCopyOnlyOverLibPQ(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	own, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	libpq, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer libpq.Close()
	c, err := pq.NewConnector(dsn)
	if err != nil {
		t.Fatal(err)
	}
	other := sql.OpenDB(otherConnector{c})
	defer other.Close()
	for i, tc := range []struct {
		name string
		db   func() (*DB, error)
		want bool
	}{
		{"Open", func() (*DB, error) { return own, nil }, true},
		{"OpenDB of lib/pq", func() (*DB, error) { return OpenDB(ctx, libpq) }, true},
		{"OpenDB of another driver", func() (*DB, error) { return OpenDB(ctx, other) }, false},
	} {
		db, err := tc.db()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if db != own {
			defer db.Close()
		}
		if db.copyIn != tc.want {
			t.Errorf("%s: copyIn %v, want %v", tc.name, db.copyIn, tc.want)
		}
		sym := "CP" + strconv.Itoa(i)
		bars := []pricefill.Bar{
			{Symbol: sym, Date: pricefill.Date(2024, 1, 2), Open: 1, High: 2, Low: 1, Close: 2, Volume: 5, Source: "test"},
			{Symbol: sym, Date: pricefill.Date(2024, 1, 3), Open: 2, High: 3, Low: 2, Close: 3, Volume: 6, Source: "test"},
		}
		res, err := db.Save(ctx, backfill.SaveRequest{Series: &pricefill.Series{Asset: pricefill.Asset{Symbol: sym}, Bars: bars}})
		if err != nil || res.Inserted != 2 {
			t.Errorf("%s: Save = %+v, %v; want 2 inserted", tc.name, res, err)
		}
	}
}
