package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pricefill/pricefill/export"
	"github.com/pricefill/pricefill/store"
	"github.com/pricefill/pricefill/validate/calendar"
)

// readOut runs --export or --status --coverage: it opens the database and
// reads what it stores, opening no source and fetching nothing.
func readOut(ctx context.Context, o *options, stdout io.Writer) (int, error) {
	clock, err := processClock()
	if err != nil {
		return exitUsage, err
	}
	db, code, err := o.openDB(ctx, clock, true)
	if err != nil {
		return code, err
	}
	defer db.Close()
	if o.coverage {
		if err := showCoverage(ctx, o, db, stdout); err != nil {
			return exitFailures, err
		}
		return exitOK, nil
	}
	if err := exportBars(ctx, o, db, clock.Now(), stdout); err != nil {
		return exitFailures, err
	}
	return exitOK, nil
}

// chosenSymbols returns the symbols that --symbols or --config gave, or
// nil for all: the S&P 500 of the default is what a run fetches, not
// what reading out reads.
func (o *options) chosenSymbols() []string {
	if o.given["symbols"] || o.given["config"] {
		return o.symbols
	}
	return nil
}

// barQuery returns the bars --export writes at now: those of the symbols
// and range that the command line gives, and all where it gives none (the
// default --days does not cut an export).
func (o *options) barQuery(now time.Time) store.BarQuery {
	q := store.BarQuery{Symbols: o.chosenSymbols()}
	switch {
	case o.given["from"] || o.given["days"]:
		q.Range = o.rangeAt(now)
	case o.given["to"]:
		q.Range.To = o.to
	}
	return q
}

// exportBars writes the stored bars to the file of --export, in the
// format of its extension, through PATH.tmp renamed at the end: a failure
// leaves no file, nor half of one, and an earlier file at PATH whole.
func exportBars(ctx context.Context, o *options, db *store.DB, now time.Time, stdout io.Writer) error {
	format, err := export.FormatOf(o.export)
	if err != nil {
		return usagef("--export: %w", err)
	}
	opts, err := exportOptions()
	if err != nil {
		return err
	}
	tmp := o.export + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("--export: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	sum, err := export.Write(w, format, db.AllBars(ctx, o.barQuery(now)), opts...)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(tmp, o.export)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("--export %s: %w", o.export, err)
	}
	fmt.Fprintf(stdout, "exported %d bars of %d symbols to %s\n", sum.Bars, sum.Symbols, o.export)
	return notePeak()
}

// showCoverage prints, per symbol stored (of --symbols or --config only,
// when given), in symbol order: the first and last dates stored, the bars,
// their completeness over the trading days between (by the listing's
// calendar), the holes known, and when its prices were last saved.
func showCoverage(ctx context.Context, o *options, db *store.DB, w io.Writer) error {
	chosen := o.chosenSymbols()
	cov, err := db.Coverage(ctx, chosen)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "coverage of %s: %d symbols\n", db, len(cov))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "symbol\tfirst\tlast\tbars\tcomplete\tholes\tlast update")
	for _, c := range cov {
		first, last, updated := "-", "-", "never"
		if c.Bars > 0 {
			first, last = c.First.Format(time.DateOnly), c.Last.Format(time.DateOnly)
		}
		if !c.LastUpdate.IsZero() {
			updated = c.LastUpdate.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f%%\t%s\t%s\n", c.Asset.Symbol, first, last, c.Bars,
			c.Completeness(calendar.For(c.Asset)), holesText(c), updated)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var absent []string
	for _, s := range chosen {
		if !slices.ContainsFunc(cov, func(c store.SymbolCoverage) bool { return c.Asset.Symbol == s }) {
			absent = append(absent, s)
		}
	}
	if len(absent) > 0 {
		fmt.Fprintf(&b, "not stored: %s\n", strings.Join(absent, ", "))
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// holesText is the holes of c: their number, and how many of each reason.
func holesText(c store.SymbolCoverage) string {
	n := c.HoleCount()
	if n == 0 {
		return "0"
	}
	var parts []string
	for _, r := range holeReasons {
		if k := c.Holes[r]; k > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", k, r))
		}
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}
