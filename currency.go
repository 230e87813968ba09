package getpaid

import (
	"fmt"
	"strings"
)

// currencyExponents maps ISO 4217 currency codes to their number of
// minor-unit digits. It is ISO 4217 List One as published on 2024-06-25
// (pinned in testdata/iso4217.csv, from the npm package currency-codes
// 2.2.0), less what a payment is never taken in: fund codes (but CLF, which
// some brokers accept), precious metals and other codes without a minor
// unit ("N.A."). The codes after the list are deliberate extras;
// TestCurrencyTableMatchesISO checks the table against the pinned list and
// names every extra.
var currencyExponents = map[string]int{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2,
	"AWG": 2, "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0,
	"BMD": 2, "BND": 2, "BOB": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2,
	"BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CLP": 0, "CNY": 2, "COP": 2, "CRC": 2,
	"CUC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2,
	"EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2,
	"GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2,
	"HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0,
	"JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2,
	"KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2,
	"LSL": 2, "LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2,
	"MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2,
	"NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2,
	"PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2, "RON": 2,
	"RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2,
	"SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2,
	"SYP": 2, "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2,
	"TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0, "USD": 2, "UYU": 2, "UYW": 4,
	"UZS": 2, "VED": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2,
	"XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
	// A fund code some brokers accept.
	"CLF": 4,
	// Deliberate extras, not in the pinned list:
	// XCG, the Caribbean guilder, replaced ANG on 2025-03-31, after the
	// list was published (ANG stays while the list has it).
	"XCG": 2,
	// HRK was withdrawn when Croatia adopted the euro (2023-01-01); kept so
	// payments recorded in it still parse and print.
	"HRK": 2,
}

// CurrencyExponent reports the number of minor-unit digits of an ISO 4217
// currency code (2 for PLN, 0 for JPY, 3 for KWD) and whether the code is known.
// Codes are case-sensitive: ISO codes are upper case.
func CurrencyExponent(code string) (int, bool) {
	e, ok := currencyExponents[code]
	return e, ok
}

// KnownCurrency reports whether code is an ISO 4217 currency getpaid can hold.
func KnownCurrency(code string) bool {
	_, ok := currencyExponents[code]
	return ok
}

// UnknownCurrencyReason says that code is not a currency getpaid knows,
// naming the code to send when only its case is wrong (Stripe writes
// currencies in lower case): `unknown currency "pln" (ISO 4217 codes are
// upper case: PLN)`.
func UnknownCurrencyReason(code string) string {
	return fmt.Sprintf("unknown currency %q", code) + upperCaseHint(code)
}

// upperCaseHint is " (ISO 4217 codes are upper case: PLN)" for "pln", and
// "" for a code whose upper case is not known either.
func upperCaseHint(code string) string {
	if up := strings.ToUpper(code); up != code && KnownCurrency(up) {
		return " (ISO 4217 codes are upper case: " + up + ")"
	}
	return ""
}
