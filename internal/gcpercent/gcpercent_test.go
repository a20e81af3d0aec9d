package gcpercent

import (
	"runtime/debug"
	"testing"
)

func TestSetLeavesAUsersGOGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })

	t.Setenv("GOGC", "")
	Set()
	if got := debug.SetGCPercent(100); got != Default {
		t.Errorf("without $GOGC: GOGC %d, want %d", got, Default)
	}
	t.Setenv("GOGC", "100")
	Set()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with $GOGC=100: GOGC %d, want it left at 100", got)
	}
}
