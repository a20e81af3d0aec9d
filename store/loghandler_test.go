package store_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pricefill/pricefill/store"
)

type logRow struct {
	Level   string
	Message string
	Symbol  string
	TaskID  int64
	Attrs   map[string]any
}

func logRows(t *testing.T, db *store.DB) []logRow {
	t.Helper()
	rows, err := db.SQLX().QueryContext(ctx, `SELECT level, message, symbol, task_id, attrs FROM fetcher_logs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []logRow
	for rows.Next() {
		var (
			r      logRow
			symbol sql.NullString
			taskID sql.NullInt64
			attrs  []byte
		)
		if err := rows.Scan(&r.Level, &r.Message, &symbol, &taskID, &attrs); err != nil {
			t.Fatal(err)
		}
		r.Symbol, r.TaskID = symbol.String, taskID.Int64
		if attrs != nil {
			if err := json.Unmarshal(attrs, &r.Attrs); err != nil {
				t.Fatalf("attrs %s: %v", attrs, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLogHandlerWritesRecords(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		h, err := db.NewLogHandler(store.WithLogLevel(slog.LevelDebug))
		if err != nil {
			t.Fatal(err)
		}
		var console bytes.Buffer
		logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(&console, nil), h))

		logger.With("symbol", "AAPL").Info("fetched", "task_id", 42, "bars", 252, slog.Group("http", "status", 200, "took", 1500*time.Millisecond))
		logger.Debug("waiting", "err", errors.New("503 from upstream"))
		logger.WithGroup("limiter").Warn("cooling down", "symbol", "MSFT", "for", "5s")
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		logger.Error("after close") // dropped, counted

		want := []logRow{
			{Level: "INFO", Message: "fetched", Symbol: "AAPL", TaskID: 42, Attrs: map[string]any{"bars": 252.0, "http": map[string]any{"status": 200.0, "took": 1.5}}},
			{Level: "DEBUG", Message: "waiting", Attrs: map[string]any{"err": "503 from upstream"}},
			{Level: "WARN", Message: "cooling down", Attrs: map[string]any{"limiter": map[string]any{"symbol": "MSFT", "for": "5s"}}},
		}
		if diff := cmp.Diff(want, logRows(t, db)); diff != "" {
			t.Errorf("fetcher_logs (-want +got):\n%s", diff)
		}
		if got, want := h.Stats(), (store.LogStats{Written: 3, Dropped: 1}); got != want {
			t.Errorf("Stats = %+v, want %+v", got, want)
		}
		if !strings.Contains(console.String(), "msg=fetched symbol=AAPL") {
			t.Errorf("the console handler did not get the records: %q", console.String())
		}
	})
}

// TestLogHandlerDropsWhenTheDatabaseIsBlocked blocks fetcher_logs and logs
// more records than the handler can hold: every Handle returns at once
// (the test would hang otherwise), the excess is counted as dropped, and
// the rest is written once the database is free again.
func TestLogHandlerDropsWhenTheDatabaseIsBlocked(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		const buffer, batch, extra = 8, 4, 20
		h, err := db.NewLogHandler(store.WithLogBuffer(buffer), store.WithLogBatch(batch), store.WithLogWriteTimeout(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		logger := slog.New(h)

		// Hold the table: on SQLite, take the store's one connection and
		// the write lock; on PostgreSQL, lock fetcher_logs.
		tx, err := db.SQLX().BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d.name == "postgres" {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE fetcher_logs IN ACCESS EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
		}
		const n = buffer + batch + extra
		for i := range n {
			logger.Info("record", "i", i)
		}
		if got := h.Stats().Dropped; got < extra {
			t.Errorf("%d records dropped while the database was blocked, want at least %d", got, extra)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		s := h.Stats()
		if s.Written+s.Dropped != n {
			t.Errorf("Stats = %+v: %d in all, want %d", s, s.Written+s.Dropped, n)
		}
		if got := len(logRows(t, db)); int64(got) != s.Written {
			t.Errorf("%d rows in fetcher_logs, want %d written", got, s.Written)
		}
	})
}

func TestLogHandlerOptions(t *testing.T) {
	t.Parallel()
	db := open(t, dialects[0].dsn(t))
	for _, o := range []store.LogOption{store.WithLogBuffer(-1), store.WithLogBatch(-1), store.WithLogWriteTimeout(-time.Second)} {
		if h, err := db.NewLogHandler(o); err == nil {
			h.Close()
			t.Errorf("a negative option was accepted")
		}
	}
}
