package httpapi

import (
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/getpaid-go/getpaid"
)

// writePayment answers with p. Payment answers (create and read: half of
// all API requests) are written by hand, not by encoding/json's reflection,
// which was about a twentieth of the server's CPU under load, into a reused
// buffer. The bytes are exactly what writeJSON writes for the same value
// (HTML left unescaped, a newline at the end):
// TestPaymentJSONAppendMatchesEncoder and FuzzPaymentJSONAppend check that.
func (h *Handler) writePayment(w http.ResponseWriter, status int, p *PaymentJSON) {
	buf, _ := h.bufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	b, ok := p.appendJSON((*buf)[:0])
	if !ok {
		writeJSON(w, status, p) // encoding/json says what it refuses
		return
	}
	b = append(b, '\n')
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write(b)
	if cap(b) <= 64<<10 { // a payment with very many operations is not kept
		*buf = b
		h.bufs.Put(buf)
	}
}

// appendJSON appends p as encoding/json encodes it. ok is false when
// encoding/json would refuse it (a time outside years 0–9999): the caller
// leaves such a value to encoding/json, which says why.
func (p *PaymentJSON) appendJSON(dst []byte) (out []byte, ok bool) {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, p.ID)
	dst = appendField(dst, "order_id", p.OrderID)
	dst = appendField(dst, "status", string(p.Status))
	dst = appendField(dst, "amount", p.Amount)
	dst = appendField(dst, "currency", p.Currency)
	dst = appendField(dst, "captured", p.Captured)
	dst = appendField(dst, "locked", p.Locked)
	dst = appendField(dst, "refunded", p.Refunded)
	dst = appendField(dst, "refund_pending", p.RefundPending)
	dst = appendField(dst, "advance", p.Advance)
	dst = appendField(dst, "backend", p.Backend)
	for _, f := range [...]struct{ name, v string }{{"external_id", p.ExternalID}, {"description", p.Description}, {"return_url", p.ReturnURL}, {"idempotency_key", p.IdempotencyKey}} {
		if f.v != "" {
			dst = appendField(dst, f.name, f.v)
		}
	}
	if rd := p.Redirect; rd != nil {
		dst = append(dst, `,"redirect":`...)
		dst = appendRedirect(dst, rd)
	}
	if dst, ok = appendTimeField(dst, "created_at", p.CreatedAt); !ok {
		return dst, false
	}
	if dst, ok = appendTimeField(dst, "updated_at", p.UpdatedAt); !ok {
		return dst, false
	}
	if p.History != nil {
		dst = append(dst, `,"history":[`...)
		for i, t := range p.History {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"from":`...)
			dst = appendJSONString(dst, string(t.From))
			dst = appendField(dst, "to", string(t.To))
			if dst, ok = appendTimeField(dst, "at", t.At); !ok {
				return dst, false
			}
			dst = appendField(dst, "cause", t.Cause)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if p.Operations != nil {
		dst = append(dst, `,"operations":[`...)
		for i, op := range p.Operations {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, ok = op.appendJSON(dst); !ok {
				return dst, false
			}
		}
		dst = append(dst, ']')
	}
	if p.Operation != nil {
		dst = append(dst, `,"operation":`...)
		if dst, ok = p.Operation.appendJSON(dst); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}

// appendJSON appends op as encoding/json encodes it (nil as null); ok as
// PaymentJSON's.
func (op *OperationJSON) appendJSON(dst []byte) (out []byte, ok bool) {
	if op == nil {
		return append(dst, "null"...), true
	}
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, op.ID)
	dst = appendField(dst, "payment_id", op.PaymentID)
	dst = appendField(dst, "kind", string(op.Kind))
	dst = appendField(dst, "state", string(op.State))
	dst = appendField(dst, "amount", op.Amount)
	dst = appendField(dst, "currency", op.Currency)
	dst = appendField(dst, "idempotency_key", op.IdempotencyKey)
	dst = appendField(dst, "broker_ref", op.BrokerRef)
	dst = appendField(dst, "error", op.Error)
	if op.LastCheck != "" {
		dst = appendField(dst, "last_check", op.LastCheck)
	}
	if op.Flagged {
		dst = append(dst, `,"flagged":true`...)
	} else {
		dst = append(dst, `,"flagged":false`...)
	}
	if op.ResolvedBy != "" {
		dst = appendField(dst, "resolved_by", op.ResolvedBy)
	}
	if op.Note != "" {
		dst = appendField(dst, "note", op.Note)
	}
	if dst, ok = appendTimeField(dst, "created_at", op.CreatedAt); !ok {
		return dst, false
	}
	if dst, ok = appendTimeField(dst, "updated_at", op.UpdatedAt); !ok {
		return dst, false
	}
	return append(dst, '}'), true
}

// appendRedirect appends rd, its fields in key order (as encoding/json
// orders a map's keys).
func appendRedirect(dst []byte, rd *getpaid.Redirect) []byte {
	dst = append(dst, `{"method":`...)
	dst = appendJSONString(dst, rd.Method)
	dst = appendField(dst, "url", rd.URL)
	if rd.Fields == nil {
		return append(dst, `,"fields":null}`...)
	}
	dst = append(dst, `,"fields":{`...)
	keys := make([]string, 0, len(rd.Fields))
	for k := range rd.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, rd.Fields[k])
	}
	return append(dst, "}}"...)
}

// appendField appends ,"name":"v" (name needs no escaping).
func appendField(dst []byte, name, v string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, v)
}

// appendTimeField appends ,"name":"t" with t as time.Time's MarshalJSON
// writes it; ok is false where MarshalJSON fails.
func appendTimeField(dst []byte, name string, t time.Time) ([]byte, bool) {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':', '"')
	dst, err := t.AppendText(dst)
	if err != nil {
		return dst, false
	}
	return append(dst, '"'), true
}

// appendJSONString appends s quoted as encoding/json quotes a string with
// HTML escaping off: quote, backslash and control characters escaped,
// invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
