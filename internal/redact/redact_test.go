package redact

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://query2.finance.yahoo.com", "https://query2.finance.yahoo.com"},
		{"http://127.0.0.1:8080/v8/finance/chart/AAPL?period1=1&period2=2", "http://127.0.0.1:8080/v8/finance/chart/AAPL?period1=1&period2=2"},
		{"https://user:pass@proxy.example/", "https://[REDACTED]@proxy.example/"},
		{"https://tok3n@proxy.example/", "https://[REDACTED]@proxy.example/"},
		{"https://h/query?function=TIME_SERIES_DAILY&symbol=IBM&apikey=K3Y", "https://h/query?function=TIME_SERIES_DAILY&symbol=IBM&apikey=[REDACTED]"},
		{"https://h/?token=t&API_KEY=k&access_token=a&Crumb=c&sig=s&x=1", "https://h/?token=[REDACTED]&API_KEY=[REDACTED]&access_token=[REDACTED]&Crumb=[REDACTED]&sig=[REDACTED]&x=1"},
		{"https://h/p#access_token=t", "https://h/p#[REDACTED]"},
		// Does not parse: the host, no userinfo, query or fragment.
		{"https://u:p%zz@h/x?apikey=k", "https://[REDACTED]@h/x?[REDACTED]"},
		{"https://h:port/x?apikey=k", "https://h:port/x?[REDACTED]"},
		// A password holding "#": not the host Go's parser finds.
		{"https://u:12#45@h/x", "https://[REDACTED]@h/x"},
		// No URL: a directory.
		{"/data/csv", "/data/csv"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		secrets  []string
	}{
		{"postgres://u:s3cret@h:5432/db?sslmode=disable", "postgres://u:[REDACTED]@h:5432/db?sslmode=disable", []string{"s3cret"}},
		{"postgresql://u@h/db", "postgresql://u@h/db", nil},
		{"postgres://h/db?password=pw&sslmode=disable", "postgres://h/db?password=[REDACTED]&sslmode=disable", []string{"pw"}},
		{"postgres://u:a%2Fb@h/db?sslpassword=x%20y", "postgres://u:[REDACTED]@h/db?sslpassword=[REDACTED]", []string{"a/b", "x%20y", "x y"}},
		// Does not parse: the user, the host and the path.
		{"postgres://alice:s3cr3t%zz@127.0.0.1/db", "postgres://alice:[REDACTED]@127.0.0.1/db", []string{"s3cr3t%zz"}},
		{"postgres://alice:pa#ss@h/db?password=x", "postgres://alice:[REDACTED]@h/db?[REDACTED]", []string{"pa#ss", "x"}},
		{"mysql://alice:pw@h/db", "mysql://alice:[REDACTED]@h/db", []string{"pw"}},
		{"host=127.0.0.1 port=5432 user=u password=s3cret dbname=x sslmode=disable",
			"host=127.0.0.1 port=5432 user=u password=[REDACTED] dbname=x sslmode=disable", []string{"s3cret"}},
		{"  host = h  password = 'a b\\'c'  options='-c search_path=t_1' ",
			"host=h password=[REDACTED] options='-c search_path=t_1'", []string{"a b'c"}},
		{"dbname=x sslpassword=k3y", "dbname=x sslpassword=[REDACTED]", []string{"k3y"}},
		{"user=u password=", "user=u password=[REDACTED]", nil},
		// Does not parse: libpq's keywords and their values, the rest hidden.
		{"host=h password=se cret dbname=d", "host=h password=[REDACTED] [REDACTED] dbname=d", []string{"se"}},
		{"host=h password='unterminated dbname=d", "host=h password=[REDACTED] [REDACTED]", []string{"'unterminated"}},
		// SQLite paths.
		{"backfill.db", "backfill.db", nil},
		{"sqlite:/tmp/x.db?_pragma=busy_timeout(1)&_auth_pass=pw9", "sqlite:/tmp/x.db?_pragma=busy_timeout(1)&_auth_pass=[REDACTED]", []string{"pw9"}},
	}
	for _, tc := range tests {
		if got := DSN(tc.in); got != tc.want {
			t.Errorf("DSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if diff := cmp.Diff(tc.secrets, DSNSecrets(tc.in)); diff != "" {
			t.Errorf("DSNSecrets(%q) (-want +got):\n%s", tc.in, diff)
		}
		for _, s := range tc.secrets {
			if strings.Contains(DSN(tc.in), s) {
				t.Errorf("DSN(%q) shows the secret %q", tc.in, s)
			}
		}
	}
}

func TestIsKeyValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn  string
		want bool
	}{
		{"host=127.0.0.1 port=5432 user=u password=s3cret dbname=x sslmode=disable", true},
		{"dbname=x", true},
		{"  host = localhost", true},
		{"application_name=pricefill", true},
		{"x=y", true}, // a keyword lib/pq passes on as a run-time parameter
		{"my db password=s3cret", true},
		{"sqlite:/tmp/a b.db password=s3cret", true},
		{"postgres://u:p@h/db?host=x", false},
		{"backfill.db", false},
		{"/tmp/prices.db?_pragma=busy_timeout(5000)", false},
		{"sqlite:/tmp/x.db", false},
		{"./a=b.db", false},
		{"my file.db", false},
		{"data/key=value.db", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := IsKeyValue(tc.dsn); got != tc.want {
			t.Errorf("IsKeyValue(%q) = %t, want %t", tc.dsn, got, tc.want)
		}
	}
}

func TestCheckKeyValue(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"host=h port=5432",
		"host = h password = 'a b'",
		`password=a\ b dbname=d`,
		"user=u password=",
		"password='a'dbname=d",
	} {
		if err := CheckKeyValue(dsn); err != nil {
			t.Errorf("CheckKeyValue(%q): %v", dsn, err)
		}
	}
	const secret = "hunter2"
	for dsn, want := range map[string]string{
		"host=h password=" + secret + " z" + secret:         `word 3 has no "="`,
		"host=h password='" + secret:                        "the value of word 2 (password) has no closing quote",
		"host=h " + secret + "x=1 password=" + secret + `\`: `the value of word 3 (password) ends with a backslash`,
		"host=h =" + secret:                                 `word 2 has no keyword before its "="`,
		"host=h zz" + secret + "='" + secret:                "the value of word 2 (its keyword) has no closing quote",
	} {
		err := CheckKeyValue(dsn)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckKeyValue(%q) = %v, want an error saying %q", dsn, err, want)
			continue
		}
		if strings.Contains(err.Error(), secret[:4]) {
			t.Errorf("CheckKeyValue(%q) = %v: it shows a part of the value", dsn, err)
		}
	}
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	red := New("s3cr+t/=", "", "s3cr")
	in := "a s3cr+t/= b s3cr%2Bt%2F%3D c s3cr+t%2F=" // raw, query- and path-escaped
	if got := red.String(in); strings.Contains(got, "s3cr") || strings.Count(got, Mark) != 3 {
		t.Errorf("String(%q) = %q, want three marks and no part of a secret", in, got)
	}
	if b := []byte("nothing here"); &red.Bytes(b)[0] != &b[0] {
		t.Errorf("Bytes copied a text without secrets")
	}
	if got := string(red.Bytes([]byte("x s3cr+t/= y"))); got != "x "+Mark+" y" {
		t.Errorf("Bytes = %q", got)
	}
	if got := (Redactor{}).String("s3cr"); got != "s3cr" {
		t.Errorf("the zero Redactor changed %q", got)
	}
}

func TestRedactorError(t *testing.T) {
	t.Parallel()
	red := New("k3y")
	if red.Error(nil) != nil {
		t.Errorf("Error(nil) is not nil")
	}
	ue := &url.Error{Op: "Get", URL: "https://h/q?apikey=k3y", Err: fmt.Errorf("k3y went: %w", context.DeadlineExceeded)}
	err := red.Error(fmt.Errorf("fetching: %w", ue))
	if got, want := err.Error(), Mark+" went: context deadline exceeded"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v does not match context.DeadlineExceeded", err)
	}
	var asURL *url.Error
	if errors.As(err, &asURL) {
		t.Errorf("the *url.Error is still in the chain")
	}
	if err := red.Error(&url.Error{Op: "Get", URL: "https://h/?apikey=k3y"}); err.Error() != "Get failed" {
		t.Errorf("a *url.Error without a cause: %q", err)
	}
}

func TestSecretName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"password": true, "sslpassword": true, "apikey": true, "API_KEY": true, "token": true,
		"X-Auth": true, "signature": true, "crumb": true, "pwd": true, "client_secret": true,
		"host": false, "symbol": false, "period1": false, "sslmode": false, "user": false, "dbname": false,
	} {
		if got := SecretName(name); got != want {
			t.Errorf("SecretName(%q) = %t, want %t", name, got, want)
		}
	}
}
