package ticker

import "testing"

func TestShareClassAndSuffix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sym                 string
		class, base, suffix string // class: the class letter, or ""; suffix: the exchange suffix, or ""
	}{
		{sym: "BRK.B", class: "B", base: "BRK"},
		{sym: "BF.A", class: "A", base: "BF"},
		{sym: "LBRD.K", class: "K", base: "LBRD"},
		{sym: "OCDO.L", suffix: "L", base: "OCDO"},
		{sym: "7203.T", suffix: "T", base: "7203"},
		{sym: "MKC.V", suffix: "V", base: "MKC"},
		{sym: "SAP.F", suffix: "F", base: "SAP"},
		{sym: "BHP.AX", suffix: "AX", base: "BHP"},
		{sym: "NOVO-B.CO", suffix: "CO", base: "NOVO-B"},
		{sym: "0700.HK", suffix: "HK", base: "0700"},
		{sym: "AAPL"},
		{sym: "BF-B"},
		{sym: "^GSPC"},
		{sym: "EURUSD=X"},
		{sym: "A."},
		{sym: ".B"},
	}
	for _, tc := range tests {
		base, class, ok := ShareClass(tc.sym)
		if ok != (tc.class != "") || class != tc.class || (ok && base != tc.base) {
			t.Errorf("ShareClass(%q) = %q, %q, %v; want class %q", tc.sym, base, class, ok, tc.class)
		}
		if IsShareClass(tc.sym) != ok {
			t.Errorf("IsShareClass(%q) disagrees with ShareClass", tc.sym)
		}
		base, suffix, ok := Suffix(tc.sym)
		if ok != (tc.suffix != "") || suffix != tc.suffix || (ok && base != tc.base) {
			t.Errorf("Suffix(%q) = %q, %q, %v; want suffix %q", tc.sym, base, suffix, ok, tc.suffix)
		}
	}
}
