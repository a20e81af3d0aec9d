// Package redact keeps secrets out of what pricefill shows: the DSNs of
// databases and the URLs of providers as the program prints and logs them,
// and the texts of errors.
//
// It is the one place that knows where secrets hide in them:
//
//	form                                          shown as
//	postgres://u:pw@host/db?password=pw           postgres://u:[REDACTED]@host/db?password=[REDACTED]
//	host=h user=u password='p w' dbname=d         host=h user=u password=[REDACTED] dbname=d
//	https://user:pw@host/p?apikey=k&symbol=IBM    https://[REDACTED]@host/p?apikey=[REDACTED]&symbol=IBM
//
// A database's user name is shown, a URL's userinfo is not (a token often
// stands there as the user). A query parameter or a key=value keyword is
// secret when its name, whatever its case, holds one of pass, pwd, secret,
// token, key, auth, sig, credential, session or crumb ([SecretName]). A
// URL's fragment is never shown.
//
// A [Redactor] removes secrets known by value (an API key, a password)
// from any text, as they are and URL-escaped.
package redact

import (
	"bytes"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Mark replaces a secret.
const Mark = "[REDACTED]"

// secretParts are what a name holds when the value it names is secret.
var secretParts = []string{"pass", "pwd", "secret", "token", "key", "auth", "sig", "credential", "session", "crumb"}

// SecretName reports whether name, a query parameter or a keyword of a
// key=value DSN, names a secret, such as password, sslpassword, apikey,
// api_key, access_token or X-Auth.
func SecretName(name string) bool {
	n := strings.ToLower(name)
	for _, p := range secretParts {
		if strings.Contains(n, p) {
			return true
		}
	}
	return false
}

// URL returns raw, a URL such as a provider's base URL or the target of a
// redirect, as it may be shown: its userinfo, the values of its secret
// query parameters and its fragment replaced by [Mark]. A text without
// "://" is no URL (a directory, say) and is returned as it is; one that
// does not parse keeps its scheme, host and path only.
func URL(raw string) string { return redactURL(raw, false) }

// redactURL is [URL]; keepUser keeps the user's name of the userinfo, as
// DSNs show it.
func redactURL(raw string, keepUser bool) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	u, err := url.Parse(raw)
	// A fragment holding "@" is a password holding "#": the parse went
	// wrong, and the host it found is part of the password.
	if err != nil || strings.Contains(u.Fragment, "@") {
		return scheme + "://" + unparsable(rest, keepUser)
	}
	var b strings.Builder
	b.WriteString(u.Scheme + "://")
	if u.User != nil {
		_, hasPassword := u.User.Password()
		switch {
		case !keepUser:
			b.WriteString(Mark)
		case hasPassword:
			b.WriteString(url.User(u.User.Username()).String() + ":" + Mark)
		default:
			b.WriteString(u.User.String())
		}
		b.WriteByte('@')
	}
	b.WriteString(u.Host)
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + query(u.RawQuery))
	}
	if u.Fragment != "" {
		b.WriteString("#" + Mark)
	}
	return b.String()
}

// unparsable shows rest, what follows "://" in a URL that does not parse:
// what lies before its last "@" is the userinfo, and the query and the
// fragment are hidden whole.
func unparsable(rest string, keepUser bool) string {
	var user string
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		name, _, hasPassword := strings.Cut(rest[:at], ":")
		switch {
		case !keepUser:
			user = Mark + "@"
		case hasPassword:
			user = name + ":" + Mark + "@"
		default:
			user = name + "@"
		}
		rest = rest[at+1:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i+1] + Mark
	}
	return user + rest
}

// query returns a raw query with the values of its secret parameters
// replaced, the rest as it was.
func query(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && SecretName(name) {
			parts[i] = k + "=" + Mark
		}
	}
	return strings.Join(parts, "&")
}

// querySecrets returns the values of the secret parameters of a raw
// query.
func querySecrets(raw string) []string {
	var out []string
	for p := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if !SecretName(name) || v == "" {
			continue
		}
		out = append(out, v)
		if uv, err := url.QueryUnescape(v); err == nil && uv != v {
			out = append(out, uv)
		}
	}
	return out
}

// DSN returns dsn, a database's DSN, as it may be shown: the password of
// a URL (postgres://…) and the values of its secret query parameters, or
// the values of the secret keywords of a key=value DSN ([IsKeyValue]),
// replaced by [Mark]; the user's name stays. A key=value DSN that does not
// parse ([CheckKeyValue]) shows its keywords only. Any other DSN is a file
// path, shown as it is but for the values of secret query parameters.
func DSN(dsn string) string {
	switch {
	case isURL(dsn):
		return redactURL(dsn, true)
	case IsKeyValue(dsn):
		pairs, err := parseKeyValue(dsn)
		if err != nil {
			return keyValueWords(dsn)
		}
		var b strings.Builder
		for i, p := range pairs {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p.key + "=")
			if SecretName(p.key) {
				b.WriteString(Mark)
			} else {
				b.WriteString(quote(p.value))
			}
		}
		return b.String()
	}
	if path, q, ok := strings.Cut(dsn, "?"); ok {
		return path + "?" + query(q)
	}
	return dsn
}

// DSNSecrets returns the secrets of dsn that [DSN] hides: the password of
// a URL and the values of its secret query parameters, or the values of
// the secret keywords of a key=value DSN, each as written and unescaped.
// A [Redactor] of them keeps them out of the texts of errors about dsn.
func DSNSecrets(dsn string) []string {
	var out []string
	switch {
	case isURL(dsn):
		u, err := url.Parse(dsn)
		if err != nil {
			_, rest, _ := strings.Cut(dsn, "://")
			if at := strings.LastIndexByte(rest, '@'); at >= 0 {
				if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
					out = append(out, pw)
				}
			}
			if _, q, ok := strings.Cut(rest, "?"); ok {
				out = append(out, querySecrets(q)...)
			}
			break
		}
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw)
		}
		out = append(out, querySecrets(u.RawQuery)...)
	case IsKeyValue(dsn):
		pairs, err := parseKeyValue(dsn)
		if err != nil {
			pairs = keyValueTokens(dsn)
		}
		for _, p := range pairs {
			if SecretName(p.key) && p.value != "" {
				out = append(out, p.value)
			}
		}
	default:
		if _, q, ok := strings.Cut(dsn, "?"); ok {
			out = querySecrets(q)
		}
	}
	return slices.Compact(out)
}

// isURL reports whether dsn is in a URL's form: a scheme, then "://".
func isURL(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok || scheme == "" {
		return false
	}
	for i, c := range scheme {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// A Redactor removes known secrets from texts. Its zero value removes
// nothing.
type Redactor struct {
	forms []string
}

// New returns a Redactor for the given secrets; empty ones are ignored.
// Each secret is removed as it is and in its URL-escaped forms.
func New(secrets ...string) Redactor {
	var r Redactor
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if !slices.Contains(r.forms, f) {
				r.forms = append(r.forms, f)
			}
		}
	}
	// The longest first: a secret inside another is not left in part.
	slices.SortStableFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	return r
}

// String returns s with every secret replaced by [Mark].
func (r Redactor) String(s string) string {
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, Mark)
	}
	return s
}

// Bytes returns b with every secret replaced by [Mark]; b itself when it
// holds none. Fetchers redact a body before they parse it, so that no part
// of a secret a server echoed can reach an error text.
func (r Redactor) Bytes(b []byte) []byte {
	for _, f := range r.forms {
		if bytes.Contains(b, []byte(f)) {
			return []byte(r.String(string(b)))
		}
	}
	return b
}

// Error returns err with a text free of secrets and of any request URL:
// a *url.Error is replaced by the error it wraps, whose text is redacted.
// The result still matches, with [errors.Is], what the wrapped error
// matched (context.Canceled, a timeout), but not the *url.Error. It
// returns nil for a nil err.
func (r Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	for errors.As(err, &ue) {
		if ue.Err == nil {
			return errors.New(r.String(ue.Op + " failed"))
		}
		err = ue.Err
	}
	return &redactedError{msg: r.String(err.Error()), err: err}
}

// redactedError is an error whose text had its secrets removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Timeout reports whether the wrapped error is a timeout, as net.Error does.
func (e *redactedError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.err, &t) && t.Timeout()
}
