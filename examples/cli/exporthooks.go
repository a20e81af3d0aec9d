//go:build !pricefill_e2e

package main

import "github.com/pricefill/pricefill/export"

// exportOptions are the options of --export's writer: the defaults.
func exportOptions() ([]export.Option, error) { return nil, nil }

// notePeak does nothing: the build of the end-to-end tests notes the
// peak memory of an export.
func notePeak() error { return nil }
