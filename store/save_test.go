package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
)

// start is the fake time at which the tests' clocks begin.
var start = time.Date(2026, 1, 5, 14, 30, 0, 123456000, time.UTC)

var ctx = context.Background()

// symbolSeq makes symbols that no other check of a test uses.
var symbolSeq atomic.Int64

func newSymbol() string { return fmt.Sprintf("S%d.X", symbolSeq.Add(1)) }

// weekdays returns n bars of symbol on the weekdays from from on, with
// prices derived from i.
func weekdays(symbol string, from time.Time, n int) []pricefill.Bar {
	bars := make([]pricefill.Bar, 0, n)
	for d := from; len(bars) < n; d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		p := 100 + float64(len(bars))/8
		bars = append(bars, pricefill.Bar{Symbol: symbol, Date: d, Open: p, High: p + 1, Low: p - 1, Close: p + 0.25, AdjClose: p + 0.125, Volume: int64(1000 + len(bars)), Source: "synthetic"})
	}
	return bars
}

var allTime = pricefill.Range{From: pricefill.Date(1900, 1, 1), To: pricefill.Date(2200, 12, 31)}

func save(t rapid.TB, db *store.DB, req backfill.SaveRequest) backfill.SaveResult {
	t.Helper()
	res, err := db.Save(ctx, req)
	if err != nil {
		t.Fatalf("Save(%s, %d bars): %v", req.Series.Asset.Symbol, len(req.Series.Bars), err)
	}
	return res
}

func series(symbol string, bars []pricefill.Bar) *pricefill.Series {
	return &pricefill.Series{Asset: pricefill.Asset{Symbol: symbol}, Bars: bars}
}

func barsOf(t rapid.TB, db *store.DB, symbol string) []pricefill.Bar {
	t.Helper()
	bars, err := db.Bars(ctx, symbol, allTime)
	if err != nil {
		t.Fatal(err)
	}
	return bars
}

func TestAssetIsIdempotent(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		rapid.Check(t, func(rt *rapid.T) {
			symbol := newSymbol()
			want := pricefill.Asset{Symbol: symbol}
			field := rapid.SampledFrom([]string{"", "", "Apple Inc.", "GBp", "NMS", "Europe/London"})
			for range rapid.IntRange(1, 4).Draw(rt, "saves") {
				a := pricefill.Asset{Symbol: symbol, Name: field.Draw(rt, "name"), Currency: field.Draw(rt, "currency"),
					Exchange: field.Draw(rt, "exchange"), Timezone: field.Draw(rt, "timezone")}
				save(rt, db, backfill.SaveRequest{Series: &pricefill.Series{Asset: a}})
				// A value the provider gave replaces the stored one; an empty
				// one keeps it.
				for _, f := range []struct{ got, want *string }{{&a.Name, &want.Name}, {&a.Currency, &want.Currency}, {&a.Exchange, &want.Exchange}, {&a.Timezone, &want.Timezone}} {
					if *f.got != "" {
						*f.want = *f.got
					}
				}
			}
			got, err := db.Asset(ctx, symbol)
			if err != nil {
				rt.Fatal(err)
			}
			if got == nil {
				rt.Fatalf("asset %s not stored", symbol)
			}
			if diff := cmp.Diff(want, *got); diff != "" {
				rt.Errorf("asset (-want +got):\n%s", diff)
			}
			if n := count(rt, db, "assets", symbol); n != 1 {
				rt.Errorf("%d rows of assets for %s, want 1", n, symbol)
			}
		})
	})
}

// TestSaveTwiceConcurrently stores bars and then the same bars again, each
// time from four goroutines at once that split them into batches of their
// own: every bar is stored once, and the counts add up exactly.
func TestSaveTwiceConcurrently(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		clock := clocktest.NewFake(start)
		db := open(t, d.dsn(t), store.WithClock(clock))
		rapid.Check(t, func(rt *rapid.T) {
			symbol := newSymbol()
			bars := weekdays(symbol, pricefill.Date(2024, 12, 30), rapid.IntRange(1, 15).Draw(rt, "bars"))
			const workers = 4
			for round := range 2 {
				splits := make([][][]pricefill.Bar, workers)
				for w := range splits {
					splits[w] = split(rt, fmt.Sprintf("split%d", w), bars)
				}
				var (
					wg       sync.WaitGroup
					inserted atomic.Int64
					errs     = make(chan error, workers)
				)
				for w := range workers {
					wg.Go(func() {
						for _, batch := range splits[w] {
							res, err := db.Save(ctx, backfill.SaveRequest{Series: series(symbol, batch)})
							if err != nil {
								errs <- err
								return
							}
							if res.Inserted+res.Skipped != int64(len(batch)) || res.Updated != 0 {
								errs <- fmt.Errorf("batch of %d: %+v, want inserted + skipped = %d", len(batch), res, len(batch))
								return
							}
							inserted.Add(res.Inserted)
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					rt.Fatal(err)
				}
				want := int64(len(bars))
				if round > 0 {
					want = 0
				}
				if got := inserted.Load(); got != want {
					rt.Fatalf("round %d: %d bars inserted in all, want %d", round, got, want)
				}
				if n := count(rt, db, "prices", symbol); n != len(bars) {
					rt.Fatalf("round %d: %d rows of prices, want %d", round, n, len(bars))
				}
			}
			tr, err := db.Tracked(ctx, symbol)
			if err != nil {
				rt.Fatal(err)
			}
			want := &store.Tracked{Symbol: symbol, LastPriceUpdate: clock.Now(), FirstDate: bars[0].Date, LastDate: bars[len(bars)-1].Date}
			if diff := cmp.Diff(want, tr); diff != "" {
				rt.Errorf("tracked_assets (-want +got):\n%s", diff)
			}
		})
	})
}

// split cuts bars into one or two batches of consecutive bars, in a random
// order. (Few batches keep the test fast at CI's 1,000 checks; the cuts
// and the interleaving of four workers still vary.)
func split(rt *rapid.T, label string, bars []pricefill.Bar) [][]pricefill.Bar {
	cuts := rapid.SliceOfNDistinct(rapid.IntRange(1, len(bars)), 0, 1, rapid.ID).Draw(rt, label)
	cuts = append(cuts, 0, len(bars))
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	batches := make([][]pricefill.Bar, 0, len(cuts)-1)
	for i := 1; i < len(cuts); i++ {
		batches = append(batches, bars[cuts[i-1]:cuts[i]])
	}
	return rapid.Permutation(batches).Draw(rt, label+" order")
}

// dstDates are days around the daylight saving changes of New York and
// London, where a date converted through a local time zone slips.
var dstDates = []time.Time{
	pricefill.Date(2024, 3, 8), pricefill.Date(2024, 3, 11), pricefill.Date(2024, 3, 29), pricefill.Date(2024, 4, 1),
	pricefill.Date(2024, 10, 25), pricefill.Date(2024, 10, 28), pricefill.Date(2024, 11, 1), pricefill.Date(2024, 11, 4),
	pricefill.Date(2025, 3, 7), pricefill.Date(2025, 3, 10), pricefill.Date(2025, 3, 31), pricefill.Date(2025, 11, 3),
}

// TestBarRoundTrip stores bars with arbitrary values and reads them back
// unchanged: every float64 bit for bit, the whole int64 range of volumes,
// dates around DST changes. On PostgreSQL the session's time zone is New
// York's, which must change nothing either.
func TestBarRoundTrip(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		dsn := d.dsn(t)
		if d.name == "postgres" {
			dsn += "&timezone=America%2FNew_York"
		}
		clock := clocktest.NewFake(start)
		db := open(t, dsn, store.WithClock(clock))
		price := rapid.OneOf(
			rapid.Float64Range(0.0001, 100000),
			rapid.Custom(func(rt *rapid.T) float64 { // any positive finite float64, subnormals too
				return math.Float64frombits(rapid.Uint64Range(1, math.Float64bits(math.MaxFloat64)).Draw(rt, "bits"))
			}),
		)
		date := rapid.OneOf(
			rapid.SampledFrom(dstDates),
			rapid.Custom(func(rt *rapid.T) time.Time {
				return pricefill.Date(1970, 1, 1).AddDate(0, 0, rapid.IntRange(0, 60000).Draw(rt, "days"))
			}),
		)
		rapid.Check(t, func(rt *rapid.T) {
			symbol := newSymbol()
			days := rapid.SliceOfNDistinct(date, 1, 8, func(d time.Time) int64 { return d.Unix() }).Draw(rt, "dates")
			slices.SortFunc(days, time.Time.Compare)
			bars := make([]pricefill.Bar, len(days))
			for i, day := range days {
				adj := 0.0
				if rapid.Bool().Draw(rt, "has adj") {
					adj = price.Draw(rt, "adj")
				}
				bars[i] = pricefill.Bar{Symbol: symbol, Date: day,
					Open: price.Draw(rt, "open"), High: price.Draw(rt, "high"), Low: price.Draw(rt, "low"), Close: price.Draw(rt, "close"),
					AdjClose: adj, Volume: rapid.Int64Min(0).Draw(rt, "volume"),
					Source: rapid.StringMatching(`[a-zA-Z0-9 ._"\\{},'é-]{0,12}`).Draw(rt, "source")}
			}
			clock.Advance(time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(rt, "later")))
			res := save(rt, db, backfill.SaveRequest{Series: series(symbol, bars)})
			if res.Inserted != int64(len(bars)) {
				rt.Fatalf("inserted %d, want %d", res.Inserted, len(bars))
			}
			if diff := cmp.Diff(bars, barsOf(rt, db, symbol)); diff != "" {
				rt.Fatalf("bars read back (-stored +read):\n%s", diff)
			}
			tr, err := db.Tracked(ctx, symbol)
			if err != nil {
				rt.Fatal(err)
			}
			want := &store.Tracked{Symbol: symbol, LastPriceUpdate: clock.Now().Truncate(time.Microsecond), FirstDate: days[0], LastDate: days[len(days)-1]}
			if diff := cmp.Diff(want, tr); diff != "" {
				rt.Errorf("tracked_assets (-want +got):\n%s", diff)
			}
			got, err := db.StoredDates(ctx, symbol, pricefill.Range{From: days[0], To: days[len(days)-1]})
			if err != nil {
				rt.Fatal(err)
			}
			if diff := cmp.Diff(days, got); diff != "" {
				rt.Errorf("StoredDates (-want +got):\n%s", diff)
			}
		})
	})
}

// TestForceUpdatesChangedDays saves bars, then a set with some days
// changed and some new: without force the changed days are skipped; with
// force exactly they are updated.
func TestForceUpdatesChangedDays(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		rapid.Check(t, func(rt *rapid.T) {
			symbol := newSymbol()
			all := weekdays(symbol, pricefill.Date(2025, 6, 2), rapid.IntRange(2, 20).Draw(rt, "bars"))
			stored := rapid.IntRange(1, len(all)).Draw(rt, "stored")
			save(rt, db, backfill.SaveRequest{Series: series(symbol, all[:stored])})

			next := slices.Clone(all)
			changed := 0
			for i := range stored {
				b := &next[i]
				switch rapid.IntRange(0, 5).Draw(rt, "change") {
				case 1:
					b.Close = math.Nextafter(b.Close, math.Inf(1)) // the smallest change there is
				case 2:
					b.Volume++
				case 3:
					b.AdjClose = 0 // the provider no longer gives one
				case 4:
					b.Open, b.High, b.Low, b.Close = b.Open*2, b.High*2, b.Low*2, b.Close*2 // a split
				default:
					continue
				}
				changed++
			}
			force := rapid.Bool().Draw(rt, "force")
			res := save(rt, db, backfill.SaveRequest{Series: series(symbol, next), Force: force})
			want := backfill.SaveResult{Inserted: int64(len(all) - stored), Skipped: int64(stored)}
			wantBars := slices.Concat(all[:stored], next[stored:])
			if force {
				want.Updated, want.Skipped = int64(changed), int64(stored-changed)
				wantBars = next
			}
			if res != want {
				rt.Errorf("force=%v with %d of %d stored days changed: %+v, want %+v", force, changed, stored, res, want)
			}
			if diff := cmp.Diff(wantBars, barsOf(rt, db, symbol)); diff != "" {
				rt.Errorf("bars (-want +got):\n%s", diff)
			}
		})
	})
}

func TestSaveAndCompleteInTheSameTransaction(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		clock := clocktest.NewFake(start)
		db := open(t, d.dsn(t), store.WithClock(clock))
		r := pricefill.Range{From: pricefill.Date(2025, 1, 1), To: pricefill.Date(2025, 1, 31)}
		ids, err := db.Enqueue(ctx, []queue.Spec{{Symbol: "AAPL", Range: r}, {Symbol: "MSFT", Range: r}, {Symbol: "IBM", Range: r}}, queue.EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("completed", func(t *testing.T) {
			task := mustClaim(t, db, ids[:1], "w1")
			bars := weekdays("AAPL", r.From, 5)
			res, err := db.SaveAndComplete(ctx, backfill.SaveRequest{Series: series("AAPL", bars), Range: r}, task, 23.8)
			if err != nil {
				t.Fatal(err)
			}
			if want := (backfill.SaveResult{Inserted: 5}); res != want {
				t.Errorf("SaveAndComplete = %+v, want %+v", res, want)
			}
			got, err := db.Get(ctx, task.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := queue.Result{Counts: pricefill.Counts{Inserted: 5}, Completeness: 23.8}
			if got.Status != queue.Completed || got.Result != want || got.LockedBy != "" {
				t.Errorf("task after SaveAndComplete: %s %+v locked by %q, want completed %+v unlocked", got.Status, got.Result, got.LockedBy, want)
			}
			if err := db.Finish(ctx, task, queue.Succeed(want)); !errors.Is(err, queue.ErrLeaseLost) {
				t.Errorf("Finish after SaveAndComplete completed the task: %v, want ErrLeaseLost", err)
			}
		})

		t.Run("lease lost", func(t *testing.T) {
			stale := mustClaim(t, db, ids[1:2], "w1")
			clock.Advance(2 * time.Minute)
			fresh := mustClaim(t, db, ids[1:2], "w2")
			_, err := db.SaveAndComplete(ctx, backfill.SaveRequest{Series: series("MSFT", weekdays("MSFT", r.From, 5)), Range: r}, stale, 100)
			if !errors.Is(err, queue.ErrLeaseLost) {
				t.Fatalf("SaveAndComplete with a lost lease: %v, want ErrLeaseLost", err)
			}
			if bars := barsOf(t, db, "MSFT"); len(bars) != 0 {
				t.Errorf("%d bars stored by the refused SaveAndComplete, want none", len(bars))
			}
			if tr, err := db.Tracked(ctx, "MSFT"); err != nil || tr != nil {
				t.Errorf("tracked_assets after the refused SaveAndComplete: %+v, %v; want none", tr, err)
			}
			got, err := db.Get(ctx, fresh.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != queue.InProgress || got.LockedBy != fresh.LockedBy {
				t.Errorf("task after the refused SaveAndComplete: %s by %q, want in_progress by %q", got.Status, got.LockedBy, fresh.LockedBy)
			}
		})

		t.Run("Save leaves the task alone", func(t *testing.T) {
			task := mustClaim(t, db, ids[2:], "w1")
			save(t, db, backfill.SaveRequest{Series: series("IBM", weekdays("IBM", r.From, 3)), Range: r})
			if n := len(barsOf(t, db, "IBM")); n != 3 {
				t.Errorf("%d bars of IBM stored, want 3", n)
			}
			got, err := db.Get(ctx, task.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != queue.InProgress || got.LockedBy != task.LockedBy {
				t.Errorf("task after Save: %s by %q, want in_progress by %q", got.Status, got.LockedBy, task.LockedBy)
			}
		})

		t.Run("no task", func(t *testing.T) {
			if _, err := db.SaveAndComplete(ctx, backfill.SaveRequest{Series: series("IBM", weekdays("IBM", r.From, 3))}, nil, 100); err == nil {
				t.Error("SaveAndComplete without a task succeeded, want an error")
			}
		})

		t.Run("completes the tasks of its own queue only", func(t *testing.T) {
			other := open(t, d.dsn(t))
			for _, tc := range []struct {
				name string
				q    queue.Queue
				want bool
			}{
				{"the store", db, true},
				{"its queue", db.Queue, true},
				{"a memory queue", queue.NewMemory(), false},
				{"another store", other, false},
				{"nil", nil, false},
			} {
				if got := db.CompletesTasksOf(tc.q); got != tc.want {
					t.Errorf("CompletesTasksOf(%s) = %v, want %v", tc.name, got, tc.want)
				}
			}
		})
	})
}

// mustClaim claims a task among ids for worker, in a new run over them.
func mustClaim(t rapid.TB, q queue.Queue, ids []int64, worker string) *queue.Task {
	t.Helper()
	task, err := claimAmong(q, ids, worker)
	if err != nil {
		t.Fatalf("Claim by %s: %v", worker, err)
	}
	if task == nil {
		t.Fatalf("Claim by %s: nothing claimable", worker)
	}
	return task
}

func TestSaveRejectsInvalidBars(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		good := weekdays("BAD", pricefill.Date(2025, 1, 6), 1)[0]
		for _, tc := range []struct {
			name string
			edit func(b *pricefill.Bar)
		}{
			{"NaN open", func(b *pricefill.Bar) { b.Open = math.NaN() }},
			{"infinite high", func(b *pricefill.Bar) { b.High = math.Inf(1) }},
			{"zero low", func(b *pricefill.Bar) { b.Low = 0 }},
			{"negative close", func(b *pricefill.Bar) { b.Close = -1 }},
			{"negative adj close", func(b *pricefill.Bar) { b.AdjClose = -1 }},
			{"negative volume", func(b *pricefill.Bar) { b.Volume = -1 }},
			{"date not midnight", func(b *pricefill.Bar) { b.Date = b.Date.Add(time.Hour) }},
			{"zero date", func(b *pricefill.Bar) { b.Date = time.Time{} }},
			{"another symbol", func(b *pricefill.Bar) { b.Symbol = "OTHER" }},
		} {
			bad := good
			tc.edit(&bad)
			_, err := db.Save(ctx, backfill.SaveRequest{Series: series("BAD", []pricefill.Bar{good, bad})})
			if err == nil {
				t.Errorf("%s: Save succeeded, want an error", tc.name)
			}
		}
		if n := len(barsOf(t, db, "BAD")); n != 0 {
			t.Errorf("%d bars stored, want none", n)
		}
		dup := []pricefill.Bar{good, good}
		res := save(t, db, backfill.SaveRequest{Series: series("BAD", dup)})
		if want := (backfill.SaveResult{Inserted: 1, Skipped: 1}); res != want {
			t.Errorf("two bars for one day: %+v, want %+v", res, want)
		}
	})
}

func TestStoredDates(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		db := open(t, d.dsn(t))
		bars := weekdays("AAPL", pricefill.Date(2025, 1, 1), 10) // Jan 1 to 14
		save(t, db, backfill.SaveRequest{Series: series("AAPL", bars)})
		got, err := db.StoredDates(ctx, "AAPL", pricefill.Range{From: pricefill.Date(2025, 1, 3), To: pricefill.Date(2025, 1, 7)})
		if err != nil {
			t.Fatal(err)
		}
		want := []time.Time{pricefill.Date(2025, 1, 3), pricefill.Date(2025, 1, 6), pricefill.Date(2025, 1, 7)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("StoredDates (-want +got):\n%s", diff)
		}
		if got, err := db.StoredDates(ctx, "NONE", allTime); err != nil || len(got) != 0 {
			t.Errorf("StoredDates of an unknown symbol = %v, %v; want none", got, err)
		}
	})
}

// claimAmong claims a task among ids for worker, in a new run over them
// that lives for a day.
func claimAmong(q queue.Queue, ids []int64, worker string) (*queue.Task, error) {
	run, _, err := q.StartRun(ctx, ids, worker, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	return q.Claim(ctx, run, worker, time.Minute)
}

// countTasks returns the summary of the tasks ids: that of a new run over
// them, ended at once.
func countTasks(t testing.TB, q queue.Queue, ids []int64) queue.Summary {
	t.Helper()
	run, s, err := q.StartRun(ctx, ids, "counter", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.EndRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	return s
}
