package ui

import (
	"crypto/sha256"
	_ "embed" // the stylesheet
	"encoding/base64"
	"html/template"

	"github.com/getpaid-go/getpaid"
)

//go:embed style.css
var css string

// Style is the shared stylesheet as one <style> element, ready to put in a
// page's <head>. Its text is constant (see StyleHash).
func Style() template.HTML { return template.HTML("<style>" + css + "</style>") } //nolint:gosec // constant, embedded text

// StyleHash is the CSP source of the stylesheet, "'sha256-…'", for a
// Content-Security-Policy style-src that allows exactly Style's element.
func StyleHash() string {
	sum := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// Funcs are the template functions getpaid's pages use: style (the
// stylesheet element), statusLabel and statusTone.
func Funcs() template.FuncMap {
	return template.FuncMap{"style": Style, "statusLabel": StatusLabel, "statusTone": StatusTone}
}

// StatusLabel is what a person reads for a payment status.
func StatusLabel(s getpaid.Status) string {
	switch s {
	case getpaid.StatusNew:
		return "Not started"
	case getpaid.StatusPrepared:
		return "Waiting for payment"
	case getpaid.StatusChargeStarted:
		return "Processing"
	case getpaid.StatusPreAuth:
		return "Funds held (pre-authorised)"
	case getpaid.StatusPartiallyPaid:
		return "Partially paid"
	case getpaid.StatusPaid:
		return "Paid"
	case getpaid.StatusFailed:
		return "Declined or failed"
	case getpaid.StatusCancelled:
		return "Cancelled"
	case getpaid.StatusRefundStarted:
		return "Refund in progress"
	case getpaid.StatusPartiallyRefunded:
		return "Partially refunded"
	case getpaid.StatusRefunded:
		return "Refunded"
	}
	return string(s)
}

// StatusTone is the badge colour of a status: "ok", "warn", "bad", "info"
// or "" (neutral).
func StatusTone(s getpaid.Status) string {
	switch s {
	case getpaid.StatusPaid:
		return "ok"
	case getpaid.StatusPartiallyPaid, getpaid.StatusPreAuth, getpaid.StatusPartiallyRefunded:
		return "warn"
	case getpaid.StatusFailed:
		return "bad"
	case getpaid.StatusPrepared, getpaid.StatusChargeStarted, getpaid.StatusRefundStarted:
		return "info"
	}
	return ""
}
