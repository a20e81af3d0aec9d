package sqldialect

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
)

func TestRebind(t *testing.T) {
	const q = `SELECT $1, $12 FROM t WHERE a = $1 AND b = '$' AND c = $2`
	if got := Postgres.Rebind(q); got != q {
		t.Errorf("Postgres.Rebind changed %q to %q", q, got)
	}
	if got, want := SQLite.Rebind(q), `SELECT ?1, ?12 FROM t WHERE a = ?1 AND b = '$' AND c = ?2`; got != want {
		t.Errorf("SQLite.Rebind = %q, want %q", got, want)
	}
}

func TestIDs(t *testing.T) {
	ids := []int64{3, 1, 20}
	if got := Postgres.IDs(ids); got != "{3,1,20}" {
		t.Errorf("Postgres.IDs = %q", got)
	}
	if got := SQLite.IDs(ids); got != "[3,1,20]" {
		t.Errorf("SQLite.IDs = %q", got)
	}
	if got := SQLite.IDs(nil); got != "[]" {
		t.Errorf("SQLite.IDs(nil) = %q", got)
	}
}

func TestTimeOrClock(t *testing.T) {
	if got, want := Postgres.TimeOrClock(2), "coalesce($2, clock_timestamp())"; got != want {
		t.Errorf("Postgres.TimeOrClock(2) = %q, want %q", got, want)
	}
	if got, want := SQLite.TimeOrClock(2), "$2"; got != want {
		t.Errorf("SQLite.TimeOrClock(2) = %q, want %q", got, want)
	}
}

func TestBarsArgs(t *testing.T) {
	bars := []pricefill.Bar{
		{Date: pricefill.Date(2025, 1, 2), Open: 0.1, High: 1e300, Low: 5e-324, Close: 2, AdjClose: 0, Volume: 9223372036854775807, Source: `a"b\c`},
		{Date: pricefill.Date(2025, 1, 3), Open: 1, High: 2, Low: 0.5, Close: 1.5, AdjClose: 1.25, Volume: 0, Source: ""},
	}
	want := []any{
		"{2025-01-02,2025-01-03}", "{0.1,1}", "{1e+300,2}", "{5e-324,0.5}", "{2,1.5}", "{NULL,1.25}",
		"{9223372036854775807,0}", `{"a\"b\\c",""}`,
	}
	if diff := cmp.Diff(want, Postgres.BarsArgs(bars)); diff != "" {
		t.Errorf("BarsArgs (-want +got):\n%s", diff)
	}
	if got := SQLite.BarsArgs(bars); got != nil {
		t.Errorf("SQLite.BarsArgs = %v, want none", got)
	}
}

func TestTimeCodec(t *testing.T) {
	in := time.Date(2026, 3, 8, 7, 30, 1, 123456789, time.FixedZone("EST", -5*3600))
	text := FormatTime(in)
	if text != "2026-03-08T12:30:01.123456Z" {
		t.Errorf("FormatTime = %v", text)
	}
	var got Time
	if err := got.Scan(text); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(Trunc(in)) || got.Location() != time.UTC {
		t.Errorf("Scan(%q) = %v, want %v in UTC", text, got.Time, Trunc(in))
	}
	if FormatTime(time.Time{}) != nil {
		t.Errorf("FormatTime(zero) is not NULL")
	}
	var d Date
	if err := d.Scan(time.Date(2025, 1, 2, 0, 0, 0, 0, time.FixedZone("", 3600))); err != nil || !d.Equal(pricefill.Date(2025, 1, 2)) {
		t.Errorf("Date.Scan = %v, %v", d.Time, err)
	}
}

func TestHolesArgs(t *testing.T) {
	ny := time.FixedZone("EDT", -4*3600)
	holes := []backfill.Hole{
		{Date: pricefill.Date(2025, 1, 2), Reason: backfill.HoleInvalid, Detail: `high "below" low\`, Asks: 3,
			LastAsked: time.Date(2025, 1, 3, 18, 0, 0, 123456789, ny)},
		{Date: pricefill.Date(2025, 1, 6), Reason: backfill.HoleNull, Asks: 1, LastAsked: time.Date(2025, 1, 7, 1, 2, 3, 0, time.UTC)},
	}
	want := []any{
		"{2025-01-02,2025-01-06}", `{"invalid","null"}`, `{"high \"below\" low\\",""}`, "{3,1}",
		`{"2025-01-03T22:00:00.123456Z","2025-01-07T01:02:03.000000Z"}`,
	}
	if diff := cmp.Diff(want, Postgres.HolesArgs(holes)); diff != "" {
		t.Errorf("Postgres.HolesArgs (-want +got):\n%s", diff)
	}
	want = []any{`[["2025-01-02","invalid","high \"below\" low\\",3,"2025-01-03T22:00:00.123456Z"],` +
		`["2025-01-06","null","",1,"2025-01-07T01:02:03.000000Z"]]`}
	if diff := cmp.Diff(want, SQLite.HolesArgs(holes)); diff != "" {
		t.Errorf("SQLite.HolesArgs (-want +got):\n%s", diff)
	}
}

func TestDates(t *testing.T) {
	bars := []pricefill.Bar{{Date: pricefill.Date(2024, 1, 2)}, {Date: pricefill.Date(2024, 12, 31)}}
	if got, want := Postgres.Dates(bars), "{2024-01-02,2024-12-31}"; got != want {
		t.Errorf("Postgres.Dates = %q, want %q", got, want)
	}
	if got, want := SQLite.Dates(bars), `["2024-01-02","2024-12-31"]`; got != want {
		t.Errorf("SQLite.Dates = %q, want %q", got, want)
	}
	if got, want := SQLite.Dates(nil), "[]"; got != want {
		t.Errorf("SQLite.Dates(nil) = %q, want %q", got, want)
	}
}

func TestInsertPricesSQL(t *testing.T) {
	want := "INSERT INTO prices (" + PricesColumns + ") VALUES (?,?,?,?,?,?,?,?,?),(?,?,?,?,?,?,?,?,?)" +
		" ON CONFLICT (asset_id, date) DO NOTHING"
	if got := pricesInsert.sql(2); got != want {
		t.Errorf("pricesInsert.sql(2) =\n%s\nwant\n%s", got, want)
	}
	wantStaging := "INSERT INTO " + StagingTable + " (" + BarColumns + ") VALUES (?,?,?,?,?,?,?,?)"
	if got := stagingInsert.sql(1); got != wantStaging {
		t.Errorf("stagingInsert.sql(1) =\n%s\nwant\n%s", got, wantStaging)
	}
}

func TestStrings(t *testing.T) {
	ss := []string{"AAPL", `a"b\c`, "BRK.B"}
	if got, want := Postgres.Strings(ss), `{"AAPL","a\"b\\c","BRK.B"}`; got != want {
		t.Errorf("Postgres.Strings = %s, want %s", got, want)
	}
	if got, want := SQLite.Strings(ss), `["AAPL","a\"b\\c","BRK.B"]`; got != want {
		t.Errorf("SQLite.Strings = %s, want %s", got, want)
	}
	if got := SQLite.Strings(nil); got != "[]" {
		t.Errorf("SQLite.Strings(nil) = %q", got)
	}
	if got := Postgres.Strings(nil); got != "{}" {
		t.Errorf("Postgres.Strings(nil) = %q", got)
	}
}
