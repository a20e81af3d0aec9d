package sqldialect

import (
	"encoding/json"
	"strconv"
)

// InStrings returns a condition that column is one of the strings in
// parameter number param, which takes the value of [Dialect.Strings].
func (d *Dialect) InStrings(column string, param int) string {
	p := strconv.Itoa(param)
	if d.IsPostgres() {
		return column + " = ANY($" + p + "::text[])"
	}
	return column + " IN (SELECT value FROM json_each($" + p + "))"
}

// Strings encodes ss as the parameter of an [Dialect.InStrings]
// condition: an array literal on PostgreSQL, each element quoted, a JSON
// array on SQLite.
func (d *Dialect) Strings(ss []string) string {
	if !d.IsPostgres() {
		if len(ss) == 0 {
			return "[]"
		}
		b, _ := json.Marshal(ss) // a []string always encodes
		return string(b)
	}
	b := make([]byte, 0, 2+8*len(ss))
	b = append(b, '{')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendArrayString(b, s)
	}
	return string(append(b, '}'))
}

// ByteOrder returns the text expression expr in the collation that orders
// by bytes: "C" on PostgreSQL, whose default collation may follow a
// language's rules (en_US puts BRK.B after BRKA), and expr as it is on
// SQLite, whose default, BINARY, already does. An ORDER BY of it orders
// alike in both.
func (d *Dialect) ByteOrder(expr string) string {
	if d.IsPostgres() {
		return expr + ` COLLATE "C"`
	}
	return expr
}
