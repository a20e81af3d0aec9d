package upstream

import (
	"math/rand/v2"
	"slices"
	"time"
	_ "time/tzdata" // the exchange zones, wherever the tests run

	"github.com/pricefill/pricefill"
	"github.com/pricefill/pricefill/internal/ticker"
	"github.com/pricefill/pricefill/validate"
	"github.com/pricefill/pricefill/validate/calendar"
)

// An exchange is where a symbol trades: its zone and opening time, at
// which Yahoo stamps its daily bars.
type exchange struct {
	loc          *time.Location
	hour, minute int
}

// stamp returns the Unix time of the opening on the calendar date of d.
func (e exchange) stamp(d time.Time) int64 {
	return time.Date(d.Year(), d.Month(), d.Day(), e.hour, e.minute, 0, 0, e.loc).Unix()
}

// A listing is the default asset of an exchange suffix.
type listing struct {
	zone, exchange, currency string
	hour, minute             int
}

var (
	listingDefault = listing{"America/New_York", "NMS", "USD", 9, 30}
	listings       = map[string]listing{
		"L":  {"Europe/London", "LSE", "GBp", 8, 0},
		"DE": {"Europe/Berlin", "GER", "EUR", 9, 0},
		"CO": {"Europe/Copenhagen", "CPH", "DKK", 9, 0},
		"AX": {"Australia/Sydney", "ASX", "AUD", 10, 0},
		"T":  {"Asia/Tokyo", "JPX", "JPY", 9, 0},
		"NZ": {"Pacific/Auckland", "NZE", "NZD", 10, 0},
		"TO": {"America/Toronto", "TOR", "CAD", 9, 30},
	}
)

// exchangeOf returns the exchange of a zone: its opening time from the
// listings, 09:30 for a zone they do not know. An unknown zone is New
// York.
func exchangeOf(zone string) exchange {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc, _ = time.LoadLocation(listingDefault.zone)
		zone = listingDefault.zone
	}
	for _, l := range listings {
		if l.zone == zone {
			return exchange{loc, l.hour, l.minute}
		}
	}
	return exchange{loc, listingDefault.hour, listingDefault.minute}
}

// assetOf returns the asset served for sym: as set, or by its suffix.
func (s *Server) assetOf(sym string) pricefill.Asset {
	s.mu.Lock()
	st := s.symbols[sym]
	s.mu.Unlock()
	if st != nil && st.asset != nil {
		return *st.asset
	}
	l := listingDefault
	if _, suffix, ok := ticker.Suffix(sym); ok {
		if x, ok := listings[suffix]; ok {
			l = x
		}
	}
	return pricefill.Asset{Symbol: sym, Name: "Fake " + sym, Currency: l.currency, Exchange: l.exchange, Timezone: l.zone}
}

func (s *Server) eventsOf(sym string) ([]pricefill.Dividend, []pricefill.Split) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.symbols[sym]; st != nil {
		return st.dividends, st.splits
	}
	return nil, nil
}

// A day is a bar the server serves, or a null day.
type day struct {
	bar  pricefill.Bar
	null bool
}

// daysMax bounds the span of generated days of one answer: a hundred years.
const daysMax = 100 * 366

// days returns the days of sym from the date of from to the date of to,
// in order: the bars set, or generated ones on the generator's trading
// days; null days (set, or drawn by WithNullRate) have only a date.
func (s *Server) days(sym string, from, to time.Time) []day {
	from, to = pricefill.DateOf(from), pricefill.DateOf(to)
	if to.Sub(from) > daysMax*24*time.Hour {
		from = to.AddDate(0, 0, -daysMax)
	}
	s.mu.Lock()
	var (
		set   []pricefill.Bar
		isSet bool
		nulls map[time.Time]bool
	)
	if st := s.symbols[sym]; st != nil {
		set, isSet, nulls = st.bars, st.barsSet, st.nulls
	}
	s.mu.Unlock()
	var out []day
	if isSet {
		for _, b := range set {
			if d := pricefill.DateOf(b.Date); !d.Before(from) && !d.After(to) {
				out = append(out, day{bar: b, null: nulls[d]})
			}
		}
		for d := range nulls {
			if !d.Before(from) && !d.After(to) && !slices.ContainsFunc(set, func(b pricefill.Bar) bool { return pricefill.DateOf(b.Date).Equal(d) }) {
				out = append(out, day{bar: pricefill.Bar{Symbol: sym, Date: d}, null: true})
			}
		}
		slices.SortStableFunc(out, func(a, b day) int { return a.bar.Date.Compare(b.bar.Date) })
		return out
	}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		b, ok := s.gen.Bar(sym, d)
		if !ok {
			continue
		}
		b.Source = ""
		out = append(out, day{bar: b, null: nulls[d] || s.nullDrawn(sym, d)})
	}
	return out
}

// nullDrawn reports whether WithNullRate makes the day of sym on d null.
func (s *Server) nullDrawn(sym string, d time.Time) bool {
	if s.cfg.nullRate == 0 {
		return false
	}
	return rand.New(rand.NewPCG(hash(sym), uint64(d.Unix()))).Float64() < s.cfg.nullRate
}

// today is the date in New York on the server's clock.
func (s *Server) today() time.Time {
	return pricefill.DateOf(s.cfg.clock.Now().In(exchangeOf(listingDefault.zone).loc))
}

// Bars returns the bars the server serves for symbol on the dates of r
// (dates in the symbol's exchange zone): the bars set or generated,
// without null days, with Symbol set to the canonical symbol and Source
// empty.
func (s *Server) Bars(symbol string, r pricefill.Range) []pricefill.Bar {
	sym := key(symbol)
	var out []pricefill.Bar
	for _, d := range s.days(sym, r.From, r.To) {
		if !d.null {
			b := d.bar
			b.Symbol, b.Source = sym, ""
			out = append(out, b)
		}
	}
	return out
}

// ValidBars returns the bars of symbol that a correct client asking for r
// at now stores: those of [Server.Bars] on the days whose session is over
// at now on the symbol's exchange that pass the validator. The exchange's
// calendar is [calendar.For] of the asset the server reports for symbol
// (by its suffix, or as [Server.SetAsset] set it): the NYSE's for a US
// listing, calendar.LSE for VOD.L, calendar.ASX for BHP.AX…
func (s *Server) ValidBars(symbol string, r pricefill.Range, now time.Time) []pricefill.Bar {
	a := s.assetOf(key(symbol))
	cal := calendar.For(a)
	if last := calendar.LastSessionOver(cal, a, now); last.Before(r.To) {
		r.To = last
	}
	var v validate.Validator
	var out []pricefill.Bar
	for _, b := range s.Bars(symbol, r) {
		if v.Validate(now, r, a, cal, b) == nil {
			out = append(out, b)
		}
	}
	return out
}
