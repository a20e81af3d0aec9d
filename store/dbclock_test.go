package store_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/clocktest"
	"github.com/pricefill/pricefill/internal/pgtest"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/store"
)

// withFakeDatabaseClock returns a DSN of a new PostgreSQL schema whose
// clock the test sets: the schema has its own statement_timestamp(), read
// from the table fake_clock, and comes before pg_catalog in the search
// path, so that the queue's SQL calls it instead of the server's. It
// returns the DSN, the store opened on it and a function that sets the
// clock.
func withFakeDatabaseClock(t *testing.T, at time.Time) (string, *store.DB, func(time.Time)) {
	t.Helper()
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", q.Get("search_path")+",pg_catalog")
	u.RawQuery = q.Encode()
	db := open(t, u.String())
	x := db.SQLX()
	for _, stmt := range []string{
		`CREATE TABLE fake_clock (t timestamptz NOT NULL)`,
		`INSERT INTO fake_clock (t) VALUES ($1)`,
		`CREATE FUNCTION statement_timestamp() RETURNS timestamptz LANGUAGE sql STABLE AS 'SELECT t FROM fake_clock'`,
	} {
		var args []any
		if stmt[0] == 'I' {
			args = append(args, at)
		}
		if _, err := x.ExecContext(ctx, stmt, args...); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	set := func(at time.Time) {
		if _, err := x.ExecContext(ctx, `UPDATE fake_clock SET t = $1`, at); err != nil {
			t.Fatalf("set the database's clock: %v", err)
		}
	}
	return u.String(), db, set
}

// TestDatabaseClockDecides checks, on PostgreSQL, that the database's clock
// decides every lease, retry and heartbeat of the queue, whatever the
// clocks of its clients: several clients whose clocks are minutes apart
// (more than a lease) claim, renew, finish, beat and die at random while
// the database's clock moves on. No live lease is ever taken over; a
// dead client's task is claimed once its lease (or its run's heartbeat)
// lapsed by the database's clock, and exactly the task a model of the
// queue says; retry times and wakes are the delays the clients meant.
func TestDatabaseClockDecides(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	dsn, db, setDBClock := withFakeDatabaseClock(t, start)
	const lease, alive = 30 * time.Second, 10 * time.Second
	rng := pricefill.Range{From: pricefill.Date(2025, 1, 1), To: pricefill.Date(2025, 12, 31)}
	var (
		check int
		dbNow time.Time
	)
	// Four clients, each a store with a clock of its own that every check
	// sets.
	type client struct {
		q     *store.DB
		clock *clocktest.Fake
		run   queue.RunID
		dead  bool
	}
	var all []*client
	for range 4 {
		clock := clocktest.NewFake(start.Add(-time.Hour)) // before any skew
		all = append(all, &client{q: open(t, dsn, store.WithDatabaseClock(clock)), clock: clock})
	}

	rapid.Check(t, func(rt *rapid.T) {
		check++
		// A week of the database's clock for each check, more than its
		// steps take: the clocks only move on.
		dbNow = start.Add(time.Duration(check) * 7 * 24 * time.Hour)
		setDBClock(dbNow)
		// Each check has tasks of its own, on the database clock where the
		// last check left it.
		nTasks := rapid.IntRange(1, 5).Draw(rt, "tasks")
		specs := make([]queue.Spec, nTasks)
		for i := range specs {
			specs[i] = queue.Spec{Symbol: fmt.Sprintf("C%dT%d", check, i), Range: rng}
		}
		ids, err := db.Enqueue(ctx, specs, queue.EnqueueOptions{})
		if err != nil {
			rt.Fatal(err)
		}

		type held struct {
			client int
			task   *queue.Task
			until  time.Time // by the database's clock
		}
		var (
			clients []*client
			holds   = map[int64]*held{}           // task ID → its holder
			retry   = map[int64]time.Time{}       // task ID → retry_after
			runLive = map[queue.RunID]time.Time{} // run → alive until
			done    = map[int64]bool{}
		)
		for i := range rapid.IntRange(2, len(all)).Draw(rt, "clients") {
			c := all[i]
			skew := time.Duration(rapid.IntRange(-300, 300).Draw(rt, fmt.Sprintf("skew%d", i))) * time.Second
			c.clock.Set(dbNow.Add(skew))
			c.dead = false
			if c.run, _, err = c.q.StartRun(ctx, ids, fmt.Sprintf("client%d", i), alive); err != nil {
				rt.Fatal(err)
			}
			runLive[c.run] = dbNow.Add(alive)
			clients = append(clients, c)
		}
		live := func(h *held) bool {
			return h != nil && dbNow.Before(h.until) && dbNow.Before(runLive[clients[h.client].run])
		}
		// expected is the task a claim should take: the first, in ID
		// order, that is neither done, nor held live, nor due later.
		expected := func() int64 {
			for _, id := range ids {
				if !done[id] && !live(holds[id]) && !dbNow.Before(retry[id]) {
					return id
				}
			}
			return 0
		}
		alivePick := func(rt *rapid.T) *client {
			var idx []int
			for i, c := range clients {
				if !c.dead {
					idx = append(idx, i)
				}
			}
			if len(idx) == 0 {
				rt.Skip("every client is dead")
			}
			return clients[rapid.SampledFrom(idx).Draw(rt, "client")]
		}
		holdingPick := func(rt *rapid.T) (int64, *held) {
			var mine []int64
			for id, h := range holds {
				// A lapsed lease may be taken over by any claim: its holder
				// acts no more in the model.
				if !clients[h.client].dead && live(h) {
					mine = append(mine, id)
				}
			}
			if len(mine) == 0 {
				rt.Skip("no live client holds a task")
			}
			slices.Sort(mine)
			id := rapid.SampledFrom(mine).Draw(rt, "task")
			return id, holds[id]
		}

		rt.Repeat(map[string]func(*rapid.T){
			"claim": func(rt *rapid.T) {
				c := alivePick(rt)
				ci := slices.Index(clients, c)
				want := expected()
				got, err := c.q.Claim(ctx, c.run, fmt.Sprintf("client%d", ci), lease)
				if err != nil {
					rt.Fatal(err)
				}
				switch {
				case want == 0 && got != nil:
					rt.Fatalf("client %d claimed task %d, held by %+v; want none claimable", ci, got.ID, holds[got.ID])
				case want != 0 && (got == nil || got.ID != want):
					rt.Fatalf("client %d claimed %v, want task %d", ci, got, want)
				case got != nil:
					if !got.LockedUntil.Equal(dbNow.Add(lease)) {
						rt.Fatalf("lease until %s, want the database's now %s + %s", got.LockedUntil, dbNow, lease)
					}
					holds[got.ID] = &held{client: ci, task: got, until: dbNow.Add(lease)}
				}
			},
			"extend": func(rt *rapid.T) {
				id, h := holdingPick(rt)
				err := clients[h.client].q.Extend(ctx, h.task, lease)
				if err != nil {
					rt.Fatalf("Extend of task %d by its holder: %v", id, err)
				}
				h.until = dbNow.Add(lease)
			},
			"retry": func(rt *rapid.T) {
				id, h := holdingPick(rt)
				c := clients[h.client]
				delay := time.Duration(rapid.IntRange(0, 60).Draw(rt, "delay")) * time.Second
				if err := c.q.Finish(ctx, h.task, queue.Retry(c.clock.Now().Add(delay), fmt.Errorf("503"))); err != nil {
					rt.Fatalf("Finish of task %d by its holder: %v", id, err)
				}
				got, err := db.Get(ctx, id)
				if err != nil {
					rt.Fatal(err)
				}
				if !got.RetryAfter.Equal(dbNow.Add(delay)) {
					rt.Fatalf("retry_after %s, want the database's now %s + %s (the client's clock is %s)", got.RetryAfter, dbNow, delay, c.clock.Now())
				}
				delete(holds, id)
				retry[id] = dbNow.Add(delay)
			},
			"complete": func(rt *rapid.T) {
				id, h := holdingPick(rt)
				if err := clients[h.client].q.Finish(ctx, h.task, queue.Succeed(queue.Result{})); err != nil {
					rt.Fatalf("Finish of task %d by its holder: %v", id, err)
				}
				delete(holds, id)
				done[id] = true
			},
			"beat": func(rt *rapid.T) {
				c := alivePick(rt)
				if err := c.q.Heartbeat(ctx, c.run, alive); err != nil {
					rt.Fatal(err)
				}
				runLive[c.run] = dbNow.Add(alive)
			},
			"die": func(rt *rapid.T) {
				alivePick(rt).dead = true
			},
			"tick": func(rt *rapid.T) {
				d := time.Duration(rapid.IntRange(1, 40).Draw(rt, "seconds")) * time.Second
				dbNow = dbNow.Add(d)
				setDBClock(dbNow)
				for _, c := range clients {
					c.clock.Advance(d)
				}
			},
			"": func(rt *rapid.T) {
				// Every live lease is as the model says, and a summary's wake
				// is on the client's clock.
				c := alivePick(rt)
				s, err := c.q.Summarize(ctx, c.run)
				if err != nil {
					rt.Fatal(err)
				}
				var wake time.Time
				for _, id := range ids {
					var at time.Time
					switch h := holds[id]; {
					case done[id]:
						continue
					case live(h):
						at = h.until
					case dbNow.Before(retry[id]):
						at = retry[id]
					}
					if !at.IsZero() && (wake.IsZero() || at.Before(wake)) {
						wake = at
					}
				}
				if want := wake; !want.IsZero() {
					want = c.clock.Now().Add(wake.Sub(dbNow))
					if !s.Wake.Equal(want) {
						rt.Fatalf("Wake %s on the client's clock, want %s (database's %s)", s.Wake, want, wake)
					}
				} else if !s.Wake.IsZero() {
					rt.Fatalf("Wake %s, want none", s.Wake)
				}
			},
		})
	})
}
