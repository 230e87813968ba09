package webhook

import (
	"encoding/json"
	"strconv"
	"time"
)

// appendJSON appends p as json.Marshal encodes it, byte for byte (the
// golden payload, HTML-safe escapes and all), without reflection; it
// reports false when p holds what only json.Marshal says right (a
// timestamp outside years 0 to 9999, an error there): the caller then
// encodes with it.
func (p *Payload) appendJSON(b []byte) ([]byte, bool) {
	if y := p.Timestamp.Year(); y < 0 || y > 9999 {
		return b, false
	}
	b = append(b, `{"type":`...)
	b = appendJSONString(b, string(p.Type))
	b = append(b, `,"timestamp":"`...)
	b = p.Timestamp.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":{"event_id":`...)
	d := &p.Data
	b = appendJSONString(b, d.EventID)
	b = append(b, `,"payment_id":`...)
	b = appendJSONString(b, d.PaymentID)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, d.Version, 10)
	b = append(b, `,"order_id":`...)
	b = appendJSONString(b, d.OrderID)
	b = append(b, `,"backend":`...)
	b = appendJSONString(b, d.Backend)
	if d.From != "" {
		b = append(b, `,"from":`...)
		b = appendJSONString(b, string(d.From))
	}
	b = append(b, `,"to":`...)
	b = appendJSONString(b, string(d.To))
	b = append(b, `,"amount":`...)
	b = appendJSONString(b, d.Amount)
	b = append(b, `,"captured":`...)
	b = appendJSONString(b, d.Captured)
	b = append(b, `,"refunded":`...)
	b = appendJSONString(b, d.Refunded)
	b = append(b, `,"currency":`...)
	b = appendJSONString(b, d.Currency)
	if d.Cause != "" {
		b = append(b, `,"cause":`...)
		b = appendJSONString(b, d.Cause)
	}
	return append(b, "}}"...), true
}

// appendJSONString appends s quoted as json.Marshal quotes it: as it is
// when it holds only printable ASCII that needs no escape, through
// json.Marshal itself otherwise (control characters, quotes, <, > and &,
// anything not ASCII: rare in a payload, and exact).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
