package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/upstream"
)

// TestUniverseNamesStored: after a run over a universe's symbols, each
// asset has the universe's sector, and a name: the provider's where it
// gave one, else the universe's, also for a symbol the provider does not
// know.
func TestUniverseNamesStored(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := upstream.ForTest(t)
			srv.SetAsset("NONAME", pricefill.Asset{Symbol: "NONAME", Currency: "USD", Exchange: "NMS", Timezone: "America/New_York"})
			srv.SetUnknown("GONE")
			config := filepath.Join(t.TempDir(), "u.json")
			if err := os.WriteFile(config, []byte(`{"symbols": [
				{"symbol": "AAPL", "name": "Apple Inc.", "sector": "Information Technology"},
				{"symbol": "NONAME", "name": "No Name Corp", "sector": "Energy"},
				{"symbol": "GONE", "name": "Gone Inc.", "sector": "Materials"},
				{"symbol": "BARE"}
			]}`), 0o644); err != nil {
				t.Fatal(err)
			}
			dsn := d.dsn(t)
			res := runCLI(t, nil, "--db", dsn, "--base-url", srv.URL(), "--config", config, "--days", "10", "--rate", "0")
			if res.code != 1 {
				t.Fatalf("exit %d, want 1 (GONE fails):\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			db := openDB(t, dsn)
			want := map[string]pricefill.Asset{
				"AAPL":   {Name: "Fake AAPL", Sector: "Information Technology"},
				"NONAME": {Name: "No Name Corp", Sector: "Energy"},
				"GONE":   {Name: "Gone Inc.", Sector: "Materials"},
				"BARE":   {Name: "Fake BARE"},
			}
			got := map[string]pricefill.Asset{}
			for sym := range want {
				a, err := db.Asset(context.Background(), sym)
				if err != nil || a == nil {
					t.Fatalf("Asset(%s) = %v, %v", sym, a, err)
				}
				got[sym] = pricefill.Asset{Name: a.Name, Sector: a.Sector}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stored names and sectors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDBSchemaUsage: --db-schema with an SQLite --db, or with a name that
// is not a plain identifier, exits 2 with one line, before any request.
func TestDBSchemaUsage(t *testing.T) {
	t.Parallel()
	srv := upstream.ForTest(t)
	file := filepath.Join(t.TempDir(), "backfill.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", file, "--db-schema", "pricefill"}, "pricefill: --db-schema pricefill: PostgreSQL only, and --db is an SQLite file"},
		{[]string{"--db", "postgres://u@127.0.0.1:1/db", "--db-schema", "a-b"}, `pricefill: --db-schema: "a-b" holds '-'; want only letters, digits and _`},
		{[]string{"--db", "postgres://u@127.0.0.1:1/db", "--db-schema", ""}, "pricefill: --db-schema: empty"},
	} {
		res := runCLI(t, nil, append(tc.args, "--base-url", srv.URL(), "--symbols", "AAPL")...)
		lines := strings.Split(strings.TrimRight(res.stderr, "\n"), "\n")
		if res.code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line starting %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("%s was created", file)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests upstream, want none", n)
	}
}
