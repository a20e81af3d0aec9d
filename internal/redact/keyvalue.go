package redact

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// keywords are libpq's connection keywords that lib/pq reads, and
// search_path, a run-time parameter it passes on.
var keywords = []string{
	"host", "hostaddr", "port", "dbname", "user", "password", "passfile", "options",
	"application_name", "fallback_application_name", "sslmode", "sslnegotiation", "sslcert",
	"sslkey", "sslrootcert", "sslpassword", "sslsni", "sslinline", "ssl_min_protocol_version",
	"ssl_max_protocol_version", "krbsrvname", "krbspn", "connect_timeout", "binary_parameters",
	"disable_prepared_binary_result", "client_encoding", "datestyle", "tz", "geqo",
	"target_session_attrs", "load_balance_hosts", "min_protocol_version",
	"max_protocol_version", "service", "search_path",
}

// IsKeyValue reports whether dsn looks like a PostgreSQL connection string
// of key=value words (libpq's form, "host=h port=5432 user=u dbname=d"):
// its first word is a keyword followed by "=", or a later one is one of
// libpq's keywords followed by "=" (white space before the "=" allowed,
// as libpq allows it). Such a DSN is never a file path: a file whose name
// starts so is given as ./name or sqlite:name. A URL (scheme://…) is not
// one.
func IsKeyValue(dsn string) bool {
	if isURL(dsn) {
		return false
	}
	s := []rune(dsn)
	first := true
	for i := 0; i < len(s); {
		if unicode.IsSpace(s[i]) {
			i++
			continue
		}
		start := i
		for i < len(s) && isKeywordRune(s[i], i > start) {
			i++
		}
		key := string(s[start:i])
		j := i
		for j < len(s) && unicode.IsSpace(s[j]) {
			j++
		}
		if key != "" && j < len(s) && s[j] == '=' && (first || slices.Contains(keywords, strings.ToLower(key))) {
			return true
		}
		first = false
		for i < len(s) && !unicode.IsSpace(s[i]) {
			i++
		}
	}
	return false
}

// isKeywordRune reports whether c may stand in a keyword: a letter or
// "_", and after the first, a digit too.
func isKeywordRune(c rune, later bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || later && '0' <= c && c <= '9'
}

// CheckKeyValue returns nil when dsn parses as lib/pq parses a key=value
// connection string, else an error that says what is wrong, and where, in
// words that never repeat a part of dsn (a part of a password among them).
func CheckKeyValue(dsn string) error {
	_, err := parseKeyValue(dsn)
	return err
}

// A pair is one keyword and its value.
type pair struct{ key, value string }

// parseKeyValue parses dsn as lib/pq (and libpq) does: words separated by
// white space, each a keyword, "=" (white space around it allowed) and a
// value, single-quoted when it holds white space; a backslash escapes the
// character after it, in a quoted value or not.
func parseKeyValue(dsn string) ([]pair, error) {
	s := []rune(dsn)
	i := 0
	skip := func() {
		for i < len(s) && unicode.IsSpace(s[i]) {
			i++
		}
	}
	var pairs []pair
	for {
		skip()
		if i == len(s) {
			break
		}
		word := len(pairs) + 1
		start := i
		for i < len(s) && !unicode.IsSpace(s[i]) && s[i] != '=' {
			i++
		}
		key := string(s[start:i])
		skip()
		if i == len(s) || s[i] != '=' {
			return nil, fmt.Errorf("word %d has no \"=\" (quote a value that holds spaces: password='…')", word)
		}
		if key == "" {
			return nil, fmt.Errorf("word %d has no keyword before its \"=\"", word)
		}
		i++ // the "="
		skip()
		var val []rune
		switch {
		case i == len(s):
		case s[i] == '\'':
			i++
			for {
				if i == len(s) {
					return nil, fmt.Errorf("the value of word %d (%s) has no closing quote", word, shownKey(key))
				}
				c := s[i]
				i++
				if c == '\'' {
					break
				}
				if c == '\\' && i < len(s) {
					c = s[i]
					i++
				}
				val = append(val, c)
			}
		default:
			for i < len(s) && !unicode.IsSpace(s[i]) {
				c := s[i]
				i++
				if c == '\\' {
					if i == len(s) {
						return nil, fmt.Errorf("the value of word %d (%s) ends with a backslash", word, shownKey(key))
					}
					c = s[i]
					i++
				}
				val = append(val, c)
			}
		}
		pairs = append(pairs, pair{key: key, value: string(val)})
	}
	if len(pairs) == 0 {
		return nil, errors.New("no words")
	}
	return pairs, nil
}

// shownKey is key as an error may show it: one of libpq's keywords, never
// a word that could be part of a value that was not quoted.
func shownKey(key string) string {
	if slices.Contains(keywords, strings.ToLower(key)) {
		return key
	}
	return "its keyword"
}

// keyValueTokens splits a DSN that does not parse at its white space,
// each word a pair when it holds "=", a value without a keyword otherwise.
func keyValueTokens(dsn string) []pair {
	var out []pair
	for _, w := range strings.FieldsFunc(dsn, unicode.IsSpace) {
		k, v, _ := strings.Cut(w, "=")
		out = append(out, pair{key: k, value: v})
		if !strings.Contains(w, "=") {
			out[len(out)-1] = pair{value: w}
		}
	}
	return out
}

// keyValueWords shows a DSN that does not parse: each word's keyword,
// with its value when the keyword is one of libpq's and not secret; a
// word without a keyword (perhaps part of a value with a space) hidden.
func keyValueWords(dsn string) string {
	var words []string
	tokens := keyValueTokens(dsn)
	for i, p := range tokens {
		switch {
		case p.key == "" || !slices.Contains(keywords, strings.ToLower(p.key)):
			words = append(words, Mark)
		case strings.ContainsAny(p.value, `'\`):
			// Where a quote or an escape goes wrong, the value may
			// run on over the words after it: hide them all.
			words = append(words, p.key+"="+Mark)
			if i < len(tokens)-1 {
				words = append(words, Mark)
			}
			return strings.Join(words, " ")
		case SecretName(p.key):
			words = append(words, p.key+"="+Mark)
		default:
			words = append(words, p.key+"="+p.value)
		}
	}
	return strings.Join(words, " ")
}

// quote writes a value as a key=value connection string needs it: quoted
// when empty or when it holds white space, a quote or a backslash.
func quote(v string) string {
	if v != "" && !strings.ContainsFunc(v, func(c rune) bool { return unicode.IsSpace(c) || c == '\'' || c == '\\' }) {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
