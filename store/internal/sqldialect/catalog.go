package sqldialect

// Columns is the query of the columns of table $1 in the current schema
// (PostgreSQL's first of search_path; SQLite's main database), one row a
// column name, in the table's order: none when there is no such table.
func (d *Dialect) Columns() string {
	if d.IsPostgres() {
		return `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	}
	return `SELECT name FROM pragma_table_info(?) ORDER BY cid`
}
