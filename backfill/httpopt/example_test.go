package httpopt_test

import (
	"fmt"

	"github.com/pricefill/pricefill/backfill/httpopt"
)

// A provider applies the options over its defaults; zero values keep them.
func ExampleNewConfig() {
	d := httpopt.Defaults{Pkg: "stooq", BaseURL: "https://stooq.com", UserAgent: "pricefill", KeyEnv: "STOOQ_API_KEY"}
	c, err := httpopt.NewConfig(d, []httpopt.Option{httpopt.WithBaseURL("http://127.0.0.1:8080/"), httpopt.WithMaxBody(0)})
	fmt.Println(c.BaseURL, c.UserAgent, c.MaxBody == httpopt.MaxBodyDefault, err)

	_, err = httpopt.NewConfig(d, []httpopt.Option{httpopt.WithMaxBody(-1)})
	fmt.Println(err)
	// Output:
	// http://127.0.0.1:8080 pricefill true <nil>
	// stooq: httpopt.WithMaxBody: -1 bytes is negative
}
