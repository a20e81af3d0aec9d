package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
)

// TestStatusCountsHoles: --status says how many holes the database knows
// of, by reason, or that it knows none.
func TestStatusCountsHoles(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			dsn := d.dsn(t)
			db := openDB(t, dsn)
			status := runCLI(t, nil, "--db", dsn, "--status")
			if status.code != 0 || !strings.Contains(status.stdout, "\nholes         none known\n") {
				t.Errorf("--status of a new database: exit %d, want a line \"holes         none known\":\n%s", status.code, status.stdout)
			}

			at := time.Date(2025, 6, 10, 22, 0, 0, 0, time.UTC)
			day := func(i int) time.Time { return pricefill.Date(2025, 6, 2).AddDate(0, 0, i) }
			hole := func(i int, r backfill.HoleReason) backfill.Hole {
				return backfill.Hole{Date: day(i), Reason: r, Asks: 1, LastAsked: at}
			}
			for symbol, holes := range map[string][]backfill.Hole{
				"AAPL":  {hole(0, backfill.HoleMissing), hole(1, backfill.HoleMissing), hole(2, backfill.HoleNull)},
				"VOD.L": {hole(0, backfill.HoleMissing), hole(3, backfill.HoleInvalid)},
			} {
				req := backfill.SaveRequest{Series: &pricefill.Series{Asset: pricefill.Asset{Symbol: symbol}}, Holes: holes}
				if _, err := db.Save(context.Background(), req); err != nil {
					t.Fatal(err)
				}
			}
			status = runCLI(t, nil, "--db", dsn, "--status")
			if want := "\nholes         5 known: 3 missing, 1 null, 1 invalid\n"; status.code != 0 || !strings.Contains(status.stdout, want) {
				t.Errorf("--status with 5 holes: exit %d, want a line %q:\n%s", status.code, strings.TrimSpace(want), status.stdout)
			}
		})
	}
}
