package przelewy24

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// field is one key of a signed JSON object; isInt selects Int over Str.
type field struct {
	Key   string
	Str   string
	Int   int64
	isInt bool
}

// str is a string field of a signed object.
func str(key, v string) field { return field{Key: key, Str: v} }

// num is an integer field of a signed object.
func num(key string, v int64) field { return field{Key: key, Int: v, isInt: true} }

// signJSON renders fields as the compact JSON object Przelewy24 hashes: keys
// in the given order, integers as numbers, no whitespace, and neither "/"
// nor non-ASCII escaped (PHP's JSON_UNESCAPED_SLASHES|JSON_UNESCAPED_UNICODE).
// Like PHP it still escapes U+2028 and U+2029; no HTML escaping.
func signJSON(fields ...field) []byte {
	b := make([]byte, 0, 256)
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Key)
		b = append(b, ':')
		if f.isInt {
			b = strconv.AppendInt(b, f.Int, 10)
		} else {
			b = appendString(b, f.Str)
		}
	}
	return append(b, '}')
}

// signOf returns hex(SHA-384(signJSON(fields))).
func signOf(fields ...field) string {
	sum := sha512.Sum384(signJSON(fields...))
	return hex.EncodeToString(sum[:])
}

// signEqual compares a received sign with the expected one in constant time.
func signEqual(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// The field lists of each signature, in Przelewy24's order.

func registerSign(sessionID string, merchantID int, amount int64, currency, crc string) string {
	return signOf(str("sessionId", sessionID), num("merchantId", int64(merchantID)), num("amount", amount),
		str("currency", currency), str("crc", crc))
}

func verifySign(sessionID string, orderID, amount int64, currency, crc string) string {
	return signOf(str("sessionId", sessionID), num("orderId", orderID), num("amount", amount),
		str("currency", currency), str("crc", crc))
}

func (n *notification) sign(crc string) string {
	return signOf(num("merchantId", n.MerchantID), num("posId", n.PosID), str("sessionId", n.SessionID),
		num("amount", n.Amount), num("originAmount", n.OriginAmount), str("currency", n.Currency),
		num("orderId", n.OrderID), num("methodId", n.MethodID), str("statement", n.Statement), str("crc", crc))
}

func (n *refundNotification) sign(crc string) string {
	return signOf(num("orderId", n.OrderID), str("sessionId", n.SessionID), str("refundsUuid", n.RefundsUUID),
		num("merchantId", n.MerchantID), num("amount", n.Amount), str("currency", n.Currency),
		num("status", n.Status), str("crc", crc))
}
