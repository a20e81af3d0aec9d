//go:build !pricefill_e2e

package main

import "github.com/pricefill/pricefill/export"

// exportOptions are the options of --export's writer: the defaults.
func exportOptions() ([]export.Option, error) { return nil, nil }
