package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pricefill/pricefill/backfill"
	"github.com/pricefill/pricefill/queue"
	"github.com/pricefill/pricefill/ratelimit"
	"github.com/pricefill/pricefill/store"
)

// writeRuns writes the runs going on (their heartbeats alive) and those
// that died without ending.
func writeRuns(ctx context.Context, db *store.DB, b *strings.Builder) error {
	runs, err := db.Runs(ctx)
	if err != nil {
		return err
	}
	alive, dead := 0, 0
	for _, r := range runs {
		if r.Alive {
			alive++
		} else {
			dead++
		}
	}
	fmt.Fprintf(b, "runs: %d going on", alive)
	if dead > 0 {
		fmt.Fprintf(b, ", %d stopped without ending (killed; their tasks are free)", dead)
	}
	b.WriteByte('\n')
	for _, r := range runs {
		if r.Alive {
			fmt.Fprintf(b, "  %s since %s, %d tasks left\n", r.Worker, r.StartedAt.UTC().Format(time.RFC3339), r.Open)
		}
	}
	return nil
}

// holeReasons are the reasons of holes in the order --status counts them.
var holeReasons = []backfill.HoleReason{backfill.HoleMissing, backfill.HoleLate, backfill.HoleNull, backfill.HoleInvalid}

// writeHoles writes the number of holes db knows of, by reason: the days
// asked for and not served, apart from the days not fetched yet.
func writeHoles(ctx context.Context, db *store.DB, b *strings.Builder) error {
	counts, err := db.HoleCounts(ctx)
	if err != nil {
		return err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		fmt.Fprintf(b, "%-14s%s\n", "holes", "none known")
		return nil
	}
	var parts []string
	for _, r := range holeReasons {
		if n := counts[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, r))
		}
	}
	fmt.Fprintf(b, "%-14s%d known: %s\n", "holes", total, strings.Join(parts, ", "))
	return nil
}

// showStatus prints the queue of db (counts by status, the oldest task
// waiting, and the last errors), the holes it knows of, and the budget of
// each source's provider, in the order of --source.
// It fetches nothing.
func showStatus(ctx context.Context, db *store.DB, limiters []*ratelimit.Limiter, w io.Writer) error {
	counts, err := db.Counts(ctx)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "queue of %s\n", db)
	total := 0
	for _, s := range queue.Statuses {
		total += counts[s]
	}
	for _, s := range queue.Statuses {
		fmt.Fprintf(&b, "  %-18s %d\n", s, counts[s])
	}
	fmt.Fprintf(&b, "  %-18s %d\n", "total", total)
	if err := writeHoles(ctx, db, &b); err != nil {
		return err
	}
	oldest, err := db.OldestWaiting(ctx)
	if err != nil {
		return err
	}
	if oldest != nil {
		fmt.Fprintf(&b, "oldest waiting: %s %s, %s since %s, %d attempts", oldest.Symbol, oldest.Range, oldest.Status,
			oldest.CreatedAt.UTC().Format(time.RFC3339), oldest.Attempts)
		if !oldest.RetryAfter.IsZero() {
			fmt.Fprintf(&b, ", retry after %s", oldest.RetryAfter.UTC().Format(time.RFC3339))
		}
		b.WriteByte('\n')
	} else {
		b.WriteString("oldest waiting: none\n")
	}
	if err := writeRuns(ctx, db, &b); err != nil {
		return err
	}
	errs, err := db.LastErrors(ctx, 10)
	if err != nil {
		return err
	}
	if len(errs) == 0 {
		b.WriteString("last errors: none\n")
	} else {
		b.WriteString("last errors:\n")
		for _, t := range errs {
			fmt.Fprintf(&b, "  %s  %-8s %-18s after %d attempts: %s\n", t.UpdatedAt.UTC().Format(time.RFC3339), t.Symbol, t.Status,
				t.Attempts, t.LastError)
		}
	}
	for _, limiter := range limiters {
		st, err := limiter.Status(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "budget of %s: %s\n", st.Name, st)
		if st.CoolDownUntil.After(st.Now) && st.Reason != ratelimit.ReasonCoolDown {
			fmt.Fprintf(&b, "  cooling down until %s\n", st.CoolDownUntil.UTC().Format(time.RFC3339))
		}
		if st.Holding() && st.Reason != ratelimit.ReasonOutage {
			fmt.Fprintf(&b, "  requests resume at %s\n", st.Next.UTC().Format(time.RFC3339))
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}
