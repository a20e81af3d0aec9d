package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lib/pq"

	"github.com/pricefill/pricefill"
)

// TestRefusalOfPostgresErrors: which SQLSTATEs refuse the data for good,
// and what the error then names. The SQLite codes are met on a real
// database in refusal_test.go.
func TestRefusalOfPostgresErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err       *pq.Error
		permanent bool
		names     string
	}{
		{&pq.Error{Code: "23514", Constraint: "prices_open_check", Table: "prices"}, true, "SQLSTATE 23514 check_violation, constraint prices_open_check, table prices"},
		{&pq.Error{Code: "23502", Table: "prices", Column: "open"}, true, "SQLSTATE 23502 not_null_violation, table prices, column open"},
		{&pq.Error{Code: "22003"}, true, "SQLSTATE 22003 numeric_value_out_of_range"},
		{&pq.Error{Code: "22008"}, true, "SQLSTATE 22008 datetime_field_overflow"},
		{&pq.Error{Code: "22021"}, true, "SQLSTATE 22021 character_not_in_repertoire"},
		{&pq.Error{Code: "P0001"}, true, "SQLSTATE P0001 raise_exception"},
		{&pq.Error{Code: "23505", Constraint: "assets_symbol_key"}, false, ""},
		{&pq.Error{Code: "23503"}, false, ""},
		{&pq.Error{Code: "40001"}, false, ""},
		{&pq.Error{Code: "40P01"}, false, ""},
		{&pq.Error{Code: "57014"}, false, ""},
		{&pq.Error{Code: "08006"}, false, ""},
	} {
		err := refusal(fmt.Errorf("insert new bars: %w", tc.err))
		if got := pricefill.KindOf(err) == pricefill.KindPermanent; got != tc.permanent {
			t.Errorf("%s: permanent %v, want %v (%v)", tc.err.Code, got, tc.permanent, err)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v does not wrap the driver's error", tc.err.Code, err)
		}
		want := "insert new bars: " + tc.err.Error()
		if tc.permanent {
			want = "the database refused the data (" + tc.names + "): " + want
		}
		if err.Error() != want {
			t.Errorf("%s: %q, want %q", tc.err.Code, err, want)
		}
	}
	if err := refusal(errors.New("driver: bad connection")); pricefill.KindOf(err) != pricefill.KindTransient {
		t.Errorf("a lost connection: kind %s, want transient", pricefill.KindOf(err))
	}
}
