package getpaid

import (
	"encoding/csv"
	"os"
	"strconv"
	"testing"
)

// isoEntry is one row of testdata/iso4217.csv.
type isoEntry struct {
	minor int // -1 for "N.A."
	fund  bool
}

// deliberateExtras are the table's codes that the pinned ISO list lacks, and
// why each is there (currency.go says the same next to them).
var deliberateExtras = map[string]string{
	"XCG": "Caribbean guilder, in use since 2025-03-31, after the pinned list was published",
	"HRK": "withdrawn 2023-01-01; kept so payments recorded in it still parse and print",
}

// deliberateFunds are the fund codes the table keeps: brokers accept them.
var deliberateFunds = map[string]bool{"CLF": true}

func readISOList(t *testing.T) map[string]isoEntry {
	t.Helper()
	f, err := os.Open("testdata/iso4217.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.FieldsPerRecord = 3
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || rows[0][0] != "code" {
		t.Fatalf("testdata/iso4217.csv: want a header and rows, got %d rows", len(rows))
	}
	list := map[string]isoEntry{}
	for _, row := range rows[1:] {
		e := isoEntry{minor: -1, fund: row[2] == "true"}
		if row[1] != "N.A." {
			if e.minor, err = strconv.Atoi(row[1]); err != nil {
				t.Fatalf("%s: minor units %q", row[0], row[1])
			}
		}
		if _, dup := list[row[0]]; dup {
			t.Fatalf("%s listed twice", row[0])
		}
		list[row[0]] = e
	}
	return list
}

// TestCurrencyTableMatchesISO checks the whole table against the pinned ISO
// 4217 list: every current currency with minor units is known with ISO's
// exponent, and every code known is either in the list with the same
// exponent or a deliberate, documented extra.
func TestCurrencyTableMatchesISO(t *testing.T) {
	t.Parallel()
	list := readISOList(t)
	if len(list) < 170 {
		t.Fatalf("the pinned list has %d codes; ISO lists about 180", len(list))
	}
	for code, e := range list {
		exp, ok := CurrencyExponent(code)
		switch {
		case e.minor < 0:
			if ok {
				t.Errorf("%s has no minor unit in ISO 4217, but the table gives it %d", code, exp)
			}
		case e.fund && !deliberateFunds[code]:
			if ok {
				t.Errorf("%s is a fund code: leave it out or add it to deliberateFunds", code)
			}
		case !ok:
			t.Errorf("%s (%d minor digits in ISO 4217) is missing from the table", code, e.minor)
		case exp != e.minor:
			t.Errorf("%s: table says %d minor digits, ISO 4217 says %d", code, exp, e.minor)
		}
	}
	for code, exp := range currencyExponents {
		if e, inList := list[code]; inList {
			if e.minor != exp {
				t.Errorf("%s: table says %d minor digits, ISO 4217 says %d", code, exp, e.minor)
			}
			if deliberateExtras[code] != "" {
				t.Errorf("%s is in the ISO list now: drop it from deliberateExtras", code)
			}
			continue
		}
		if deliberateExtras[code] == "" {
			t.Errorf("%s is in the table but not in ISO 4217 List One: remove it, or document it in currency.go and deliberateExtras", code)
		}
	}
	for code := range deliberateExtras {
		if _, ok := currencyExponents[code]; !ok {
			t.Errorf("deliberate extra %s is not in the table", code)
		}
	}
	for code := range deliberateFunds {
		if e, ok := list[code]; !ok || !e.fund {
			t.Errorf("%s is in deliberateFunds but is no ISO fund code", code)
		}
	}
}
