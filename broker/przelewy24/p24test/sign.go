package p24test

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/getpaid-go/getpaid"
)

// kv is one key of a signed object, in order.
type kv struct {
	k string
	v any // string or int64
}

// sign is hex(SHA-384) of the compact JSON of pairs in order, with "/" and
// non-ASCII unescaped, as Przelewy24 computes it. It is written independently
// of the backend's signer (encoding/json with HTML escaping off) so that each
// checks the other.
func sign(pairs ...kv) string {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range pairs {
		if i > 0 {
			buf.WriteByte(',')
		}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(p.k)
		buf.Truncate(buf.Len() - 1) // Encode appends a newline
		buf.WriteByte(':')
		_ = enc.Encode(p.v)
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	sum := sha512.Sum384(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

func (s *Server) registerSign(sessionID string, merchantID, amount int64, currency string) string {
	return sign(kv{"sessionId", sessionID}, kv{"merchantId", merchantID}, kv{"amount", amount},
		kv{"currency", currency}, kv{"crc", s.cfg.CRC})
}

func (s *Server) verifySign(sessionID string, orderID, amount int64, currency string) string {
	return sign(kv{"sessionId", sessionID}, kv{"orderId", orderID}, kv{"amount", amount},
		kv{"currency", currency}, kv{"crc", s.cfg.CRC})
}

// notificationBody builds a signed transaction notification.
func (s *Server) notificationBody(t *transaction, amount int64, currency string) []byte {
	m := int64(s.cfg.MerchantID)
	p := int64(s.cfg.PosID)
	sg := sign(kv{"merchantId", m}, kv{"posId", p}, kv{"sessionId", t.SessionID}, kv{"amount", amount},
		kv{"originAmount", t.Amount}, kv{"currency", currency}, kv{"orderId", t.OrderID},
		kv{"methodId", t.MethodID}, kv{"statement", t.Statement}, kv{"crc", s.cfg.CRC})
	return marshal(map[string]any{
		"merchantId": m, "posId": p, "sessionId": t.SessionID, "amount": amount,
		"originAmount": t.Amount, "currency": currency, "orderId": t.OrderID,
		"methodId": t.MethodID, "statement": t.Statement, "sign": sg,
	})
}

// refundNotificationBody builds a signed refund notification.
func (s *Server) refundNotificationBody(t *transaction, r *refund, status int64) []byte {
	m := int64(s.cfg.MerchantID)
	sg := sign(kv{"orderId", t.OrderID}, kv{"sessionId", t.SessionID}, kv{"refundsUuid", r.UUID},
		kv{"merchantId", m}, kv{"amount", r.Amount}, kv{"currency", t.Currency},
		kv{"status", status}, kv{"crc", s.cfg.CRC})
	return marshal(map[string]any{
		"orderId": t.OrderID, "sessionId": t.SessionID, "merchantId": m, "requestId": r.RequestID,
		"refundsUuid": r.UUID, "amount": r.Amount, "currency": t.Currency,
		"timestamp": s.now().Unix(), "status": status, "sign": sg,
	})
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Resign returns a copy of a JSON transaction or refund notification signed
// with crc instead of the simulator's key: what a notification for another
// merchant's key looks like, for tests that must refuse it.
func Resign(req *getpaid.CallbackRequest, crc string) (*getpaid.CallbackRequest, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(req.Body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("p24test: resign: %w", err)
	}
	num := func(k string) any {
		if n, ok := m[k].(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return i
			}
		}
		return m[k]
	}
	var sg string
	if _, refund := m["refundsUuid"]; refund {
		sg = sign(kv{"orderId", num("orderId")}, kv{"sessionId", m["sessionId"]}, kv{"refundsUuid", m["refundsUuid"]},
			kv{"merchantId", num("merchantId")}, kv{"amount", num("amount")}, kv{"currency", m["currency"]},
			kv{"status", num("status")}, kv{"crc", crc})
	} else {
		sg = sign(kv{"merchantId", num("merchantId")}, kv{"posId", num("posId")}, kv{"sessionId", m["sessionId"]},
			kv{"amount", num("amount")}, kv{"originAmount", num("originAmount")}, kv{"currency", m["currency"]},
			kv{"orderId", num("orderId")}, kv{"methodId", num("methodId")}, kv{"statement", m["statement"]}, kv{"crc", crc})
	}
	m["sign"] = sg
	out := *req
	out.Header = req.Header.Clone()
	out.Body = marshal(m)
	return &out, nil
}
