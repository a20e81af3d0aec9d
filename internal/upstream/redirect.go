package upstream

import (
	"net/http"
	"strings"
)

// redirectAnswer is the answer of a Redirect fault: 302 to f.Location with
// the request's query, or to the request's own URL when f.Location is
// empty.
func redirectAnswer(f Fault, r *http.Request) answer {
	loc := r.URL.RequestURI()
	if f.Location != "" {
		loc = f.Location
		if q := r.URL.RawQuery; q != "" {
			sep := "?"
			if strings.Contains(loc, "?") {
				sep = "&"
			}
			loc += sep + q
		}
	}
	a := text(http.StatusFound, "Found: "+loc+"\n")
	a.header = map[string]string{"Location": loc}
	return a
}
