package export_test

import (
	"testing"

	"github.com/pricefill/pricefill/internal/testmain"
)

func TestMain(m *testing.M) { testmain.Run(m) }
