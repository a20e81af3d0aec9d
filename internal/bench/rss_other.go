//go:build !unix

package main

import "os"

// maxRSS reports that this system gives no peak resident set.
func maxRSS(*os.ProcessState) (int64, bool) { return 0, false }
