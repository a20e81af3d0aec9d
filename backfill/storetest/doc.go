// Package storetest is the conformance suite for a [backfill.Store]: every
// Store of this module runs [Run] (the SQL store on SQLite and PostgreSQL,
// and the in-memory fake of the runner's unit tests), so they are held to
// the very same behaviour. A Store of your own can run it too.
//
// # What it checks
//
//	saves are idempotent          the same bars twice: the second save skips them all
//	counts add up                 Inserted + Updated + Skipped = the number of bars, in every save
//	Force replaces changed days   a day whose values changed is Updated, an unchanged one Skipped;
//	                              a change of Bar.Source alone is no change: Skipped, and kept as stored
//	without Force                 stored days are left alone, new days inserted
//	asset fields merge            a field the provider gave replaces the stored one; an empty one keeps it
//	refused bars                  a bar the schema refuses (a price not finite and above zero, a
//	                              negative volume, a date not midnight UTC, another symbol) fails the
//	                              whole save with an error matching [pricefill.ErrPermanent],
//	                              and nothing of that save is stored, not even the asset
//	a cancelled context           fails the save with the context's error; nothing is stored
//	duplicate dates               one bar stored per date, the last given (pricefill.Series.Dedupe);
//	                              the others skipped
//	concurrent saves              of one symbol count exactly: each bar is inserted once, updated once
//	StoredDates                   exactly the stored dates within the range, as midnight UTC
//	                              (only when the Store is a [backfill.DateLister])
//	a model                       random sequences of saves, forced or not, compared with a model
//
// When the Store is a [backfill.HoleKeeper], the suite checks its holes too:
//
//	holes read back               exactly as saved, within the range asked and not outside it,
//	                              dated midnight UTC and last asked in UTC; none for an unknown symbol
//	a date recorded again         its hole is replaced: reason, detail, asks and time as given
//	a bar forgets its hole        a save with a bar of a hole's date (new, stored before, or in
//	                              the same save as the hole) deletes that hole and keeps the others
//	refused saves                 a refused bar, a hole with no valid reason, asks below 1, a date
//	                              not midnight UTC or no time last asked, or a cancelled context:
//	                              the save fails and records no hole
//	holes without bars            are recorded, and the asset is stored with them
//	a model                       random saves of bars and holes, compared with a map
//
// Each check runs as a parallel subtest on a store of its own.
//
// # Running it on your Store
//
// The suite reads back what was saved, so it tests a [Store]: a
// backfill.Store with the two read methods that package store's DB has.
// Give [Run] a function that returns a new, empty store for a test, and
// release it with t.Cleanup:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Store {
//			s, err := mystore.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// A store whose read methods are named otherwise, or take other arguments,
// runs the suite through a small adapter type defined in the test.
package storetest
