package csvbars

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/pricefill/pricefill"
)

const head = "Date,Open,High,Low,Close,Volume\n"

// readAll reads every row of in and returns how many were complete, and the
// error that ended the reading (nil at the end of the input).
func readAll(in io.Reader) (int, error) {
	rd, err := NewReader(in)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		_, complete, err := rd.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if complete {
			n++
		}
	}
}

func TestLineLimit(t *testing.T) {
	t.Parallel()
	row := "2024-01-02,1,2,0.5,1.5,5\n"
	pad := func(n int) string { return strings.Repeat(" ", n) }
	for _, tc := range []struct {
		name, in string
		rows     int
		err      string // "": none
	}{
		{"a line of MaxLine", head + row + pad(MaxLine-len(row)+1) + row, 2, ""},
		{"a last line of MaxLine", head + row + pad(MaxLine-len(row)+1) + row[:len(row)-1], 2, ""},
		{"a line of MaxLine+1", head + row + pad(MaxLine-len(row)+2) + row, 1, "line 3: longer than 64 KiB"},
		{"a line of MaxLine+1 with CR LF", head + pad(MaxLine-len(row)+1) + row[:len(row)-1] + "\r\n" + row, 0, "line 2: longer than 64 KiB"},
		{"a last line of MaxLine+1", head + row + pad(MaxLine-len(row)+2) + row[:len(row)-1], 1, "line 3: longer than 64 KiB"},
		{"no newline at all", strings.Repeat("x", 10<<20), 0, "not a bar CSV header: line 1: longer than 64 KiB"},
		{"a header too long", "Date,Open,High,Low,Close,Volume" + pad(MaxLine) + "\n" + row, 0, "not a bar CSV header: line 1: longer than 64 KiB"},
		{"a row without newline", head + row + "2024-01-03," + strings.Repeat("1", 10<<20), 1, "line 3: longer than 64 KiB"},
		{"a quoted field across lines", head + row + `2024-01-03,"` + strings.Repeat("1\n", 1<<20), 1, "line 3"},
		{"blank lines", head + row + strings.Repeat("\n", 1<<20) + row, 1, "row longer than 64 KiB"},
		{"a long file of short lines", head + strings.Repeat(row, 100_000), 100_000, ""},
	} {
		n, err := readAll(strings.NewReader(tc.in))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v, want no error", tc.name, err)
		case tc.err != "" && (err == nil || !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want ErrTooLong containing %q", tc.name, err, tc.err)
		case n != tc.rows:
			t.Errorf("%s: %d rows read, want %d", tc.name, n, tc.rows)
		}
	}
}

// endless is an input without end: a prefix, then part repeated for ever.
type endless struct {
	prefix string
	part   string
	off    int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if e.prefix != "" {
			c := copy(p[n:], e.prefix)
			e.prefix = e.prefix[c:]
			n += c
			continue
		}
		c := copy(p[n:], e.part[e.off:])
		e.off = (e.off + c) % len(e.part)
		n += c
	}
	return n, nil
}

// TestBoundedMemory: however long the input without a newline, or the
// quoted field across its lines, reading it ends in ErrTooLong having
// allocated a few times MaxLine, never the input's size.
func TestBoundedMemory(t *testing.T) {
	// Not parallel: it reads the process's allocation counter.
	for _, tc := range []struct {
		name string
		in   func() io.Reader
	}{
		{"10 MB without a newline", func() io.Reader { return strings.NewReader(strings.Repeat("x", 10<<20)) }},
		{"10 MB of fields without a newline", func() io.Reader { return strings.NewReader(head + strings.Repeat("1,", 5<<20)) }},
		{"a row without end", func() io.Reader { return &endless{prefix: head + "2024-01-02,", part: "1"} }},
		{"a quoted field without end", func() io.Reader { return &endless{prefix: head + `2024-01-02,"`, part: "1,2,3,4\n"} }},
		{"blank lines without end", func() io.Reader { return &endless{prefix: head, part: "\r\n"} }},
	} {
		in := tc.in()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := readAll(in)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLong) {
			t.Errorf("%s: error %v, want ErrTooLong", tc.name, err)
		}
		const most = 16 * MaxLine // 1 MiB
		if got := after.TotalAlloc - before.TotalAlloc; got > most {
			t.Errorf("%s: %d bytes allocated, want at most %d", tc.name, got, most)
		} else {
			t.Logf("%s: %d bytes allocated: %v", tc.name, got, err)
		}
	}
}

func TestRows(t *testing.T) {
	t.Parallel()
	rd, err := NewReader(strings.NewReader("\uFEFFdate,CLOSE,high,low,open,vol\n2024-01-02, 1.5,2,0.5,1,5\n\n  \n20240103,1,1,1,1,null\n2024-01-04,1,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		row      Row
		complete bool
		err      string
	}{
		{Row{Date: pricefill.Date(2024, 1, 2), Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 5}, true, ""},
		// The empty line and the line of spaces are passed over.
		{Row{Date: pricefill.Date(2024, 1, 3)}, false, ""}, // no volume: a null day, dated
		{Row{}, false, "line 6: 3 fields, want 6"},
	}
	for i, w := range want {
		row, complete, err := rd.Next()
		if w.err != "" {
			if err == nil || err.Error() != w.err {
				t.Errorf("row %d: error %v, want %q", i, err, w.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if complete != w.complete || (w.complete && row != w.row) || !row.Date.Equal(w.row.Date) {
			t.Errorf("row %d: %+v complete %t, want %+v complete %t", i, row, complete, w.row, w.complete)
		}
	}
	if _, _, err := rd.Next(); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

// TestNullRows: a row missing any price or the volume, however the
// missing value is spelled, is a null day with its date; one missing only
// the adjusted close is complete.
func TestNullRows(t *testing.T) {
	t.Parallel()
	for _, missing := range []string{"", "null", "NaN", "nan", "N/A", "-", "None", " "} {
		for col := range 5 { // open, high, low, close, volume
			fields := []string{"1", "2", "0.5", "1.5", "10"}
			fields[col] = missing
			in := "Date,Open,High,Low,Close,Volume,Adj Close\n2024-01-05," + strings.Join(fields, ",") + ",1.4\n20240108,1,2,0.5,1.5,10," + missing + "\n"
			rd, err := NewReader(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			row, complete, err := rd.Next()
			if err != nil || complete || !row.Date.Equal(pricefill.Date(2024, 1, 5)) {
				t.Errorf("%q in column %d: %+v complete %t, %v; want the null day 2024-01-05", missing, col, row, complete, err)
			}
			row, complete, err = rd.Next()
			want := Row{Date: pricefill.Date(2024, 1, 8), Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 10}
			if err != nil || !complete || row != want {
				t.Errorf("adjusted close %q: %+v complete %t, %v; want %+v complete", missing, row, complete, err, want)
			}
		}
	}
}
