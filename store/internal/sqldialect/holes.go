package sqldialect

import (
	"encoding/json"
	"strconv"

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/backfill"
)

// How a save hands its holes to the statement that records them: as a
// relation named h with the columns of [HoleColumns], which
// [Dialect.HolesSource] names and [Dialect.HolesArgs] fills, so that one
// statement records them all. On PostgreSQL it is unnest() over five
// array parameters, as for the bars; on SQLite, json_each() over one JSON
// array of [date, reason, detail, asks, last_asked] arrays (a save has few
// holes, and their values are text and integers, which JSON carries
// exactly).

// HoleColumns are the columns of the holes relation, in order.
const HoleColumns = "date, reason, detail, asks, last_asked"

// HolesSource returns the holes as a relation h, for a FROM clause, whose
// parameters are numbered from first on.
func (d *Dialect) HolesSource(first int) string {
	p := func(i int) string { return "$" + strconv.Itoa(first+i) }
	if !d.IsPostgres() {
		return `(SELECT json_extract(value, '$[0]') AS date, json_extract(value, '$[1]') AS reason,
			json_extract(value, '$[2]') AS detail, json_extract(value, '$[3]') AS asks,
			json_extract(value, '$[4]') AS last_asked FROM json_each(` + p(0) + `)) AS h`
	}
	return "unnest(" + p(0) + "::date[], " + p(1) + "::text[], " + p(2) + "::text[], " + p(3) + "::integer[], " +
		p(4) + "::timestamptz[]) AS h(" + HoleColumns + ")"
}

// HolesArgs returns the parameters of [Dialect.HolesSource] for holes:
// five array literals on PostgreSQL, one JSON array on SQLite. Dates are
// YYYY-MM-DD and times in [TimeLayout], in UTC.
func (d *Dialect) HolesArgs(holes []backfill.Hole) []any {
	if !d.IsPostgres() {
		rows := make([][]any, len(holes))
		for i, h := range holes {
			rows[i] = []any{FormatDate(h.Date), string(h.Reason), h.Detail, h.Asks, Trunc(h.LastAsked).Format(TimeLayout)}
		}
		b, err := json.Marshal(rows)
		if err != nil { // strings and integers always marshal
			panic(err)
		}
		return []any{string(b)}
	}
	cols := make([][]byte, 5)
	for i := range cols {
		cols[i] = append(make([]byte, 0, 16*len(holes)+2), '{')
	}
	for j, h := range holes {
		if j > 0 {
			for i := range cols {
				cols[i] = append(cols[i], ',')
			}
		}
		cols[0] = h.Date.AppendFormat(cols[0], pricefill.DateLayout)
		cols[1] = appendArrayString(cols[1], string(h.Reason))
		cols[2] = appendArrayString(cols[2], h.Detail)
		cols[3] = strconv.AppendInt(cols[3], int64(h.Asks), 10)
		cols[4] = appendArrayString(cols[4], Trunc(h.LastAsked).Format(TimeLayout))
	}
	args := make([]any, len(cols))
	for i := range cols {
		args[i] = string(append(cols[i], '}'))
	}
	return args
}

// InBarDates returns a condition that column is the date of one of the
// bars of [Dialect.BarsSource], whose dates [Dialect.BarDatesArgs] gives
// as parameter number param on PostgreSQL; SQLite reads them from the
// staging table, with no parameter.
func (d *Dialect) InBarDates(column string, param int) string {
	if !d.IsPostgres() {
		return column + " IN (SELECT date FROM " + StagingTable + ")"
	}
	return column + " = ANY($" + strconv.Itoa(param) + "::date[])"
}

// BarDatesArgs returns the parameters of [Dialect.InBarDates] out of
// barsArgs, the parameters [Dialect.BarsArgs] returned: the array of
// dates, its first, on PostgreSQL; none on SQLite.
func (d *Dialect) BarDatesArgs(barsArgs []any) []any {
	if !d.IsPostgres() {
		return nil
	}
	return barsArgs[:1]
}
