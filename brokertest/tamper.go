package brokertest

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// tampering is a broken copy of a valid notification and what the backend
// may answer: refused as a bad signature, or (lenient) also as malformed, or
// (equivalent) accepted only if it means exactly what the original means.
type tampering struct {
	req        *getpaid.CallbackRequest
	malformed  bool // ErrMalformedCallback is an acceptable refusal too
	equivalent bool // may be accepted when it parses to the original's observation
}

func cloneRequest(req *getpaid.CallbackRequest) *getpaid.CallbackRequest {
	c := *req
	c.Header = req.Header.Clone()
	c.Body = append([]byte(nil), req.Body...)
	return &c
}

// tamperings returns copies of a valid notification with one thing broken.
// other is a valid notification of the same payment for another amount (its
// signature is swapped in); it may be nil.
func tamperings(req, other *getpaid.CallbackRequest) map[string]tampering {
	out := map[string]tampering{}
	body := cloneRequest(req)
	for i := len(body.Body) - 1; i >= 0; i-- {
		if b := body.Body[i]; b >= '1' && b <= '8' {
			body.Body[i]++
			break
		}
	}
	out["body changed"] = tampering{req: body}

	cut := cloneRequest(req)
	cut.Body = cut.Body[:len(cut.Body)/2]
	out["truncated body"] = tampering{req: cut, malformed: true}

	if b, ok := reorder(req.Body); ok {
		r := cloneRequest(req)
		r.Body = b
		out["reordered fields"] = tampering{req: r, equivalent: true}
	}
	if other != nil {
		if s, ok := swapSignature(req, other); ok {
			out["swapped signature"] = tampering{req: s}
		}
		if s, ok := lastDigitChanged(req, other); ok {
			out["signature's last digit changed"] = tampering{req: s}
		}
	}
	return out
}

// reorder writes the top-level fields of a JSON object or a form in reverse
// order, values untouched.
func reorder(body []byte) ([]byte, bool) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, false
		}
		var keys []string
		var vals []json.RawMessage
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, false
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, false
			}
			keys, vals = append(keys, tok.(string)), append(vals, v)
		}
		if len(keys) < 2 {
			return nil, false
		}
		var b bytes.Buffer
		b.WriteByte('{')
		for i := len(keys) - 1; i >= 0; i-- {
			k, _ := json.Marshal(keys[i])
			b.Write(k)
			b.WriteByte(':')
			b.Write(vals[i])
			if i > 0 {
				b.WriteByte(',')
			}
		}
		b.WriteByte('}')
		return b.Bytes(), true
	}
	parts := strings.Split(string(trimmed), "&")
	if len(parts) < 2 {
		return nil, false
	}
	if _, err := url.ParseQuery(string(trimmed)); err != nil {
		return nil, false
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return []byte(strings.Join(parts, "&")), true
}

// signatureFields are the body fields brokers sign in.
var signatureFields = []string{"sign", "signature", "md5sum"}

// swapSignature puts other's signature on req's body: the headers that
// differ between the two, and a "sign", "signature" or "md5sum" field of a
// JSON or form body.
func swapSignature(req, other *getpaid.CallbackRequest) (*getpaid.CallbackRequest, bool) {
	out := cloneRequest(req)
	swapped := false
	for k, v := range other.Header {
		if strings.Join(req.Header[k], ",") != strings.Join(v, ",") {
			out.Header[k] = append([]string(nil), v...)
			swapped = true
		}
	}
	var mine, theirs map[string]json.RawMessage
	if json.Unmarshal(req.Body, &mine) == nil && json.Unmarshal(other.Body, &theirs) == nil {
		for _, k := range signatureFields {
			if a, b := mine[k], theirs[k]; len(a) > 0 && len(b) > 0 && !bytes.Equal(a, b) {
				out.Body = bytes.Replace(out.Body, a, b, 1)
				swapped = true
			}
		}
		return out, swapped
	}
	mf, err1 := url.ParseQuery(string(req.Body))
	tf, err2 := url.ParseQuery(string(other.Body))
	if err1 == nil && err2 == nil {
		for _, k := range signatureFields {
			if a, b := mf.Get(k), tf.Get(k); a != "" && b != "" && a != b {
				old := k + "=" + url.QueryEscape(a)
				out.Body = bytes.Replace(out.Body, []byte(old), []byte(k+"="+url.QueryEscape(b)), 1)
				swapped = swapped || !bytes.Equal(out.Body, req.Body)
			}
		}
	}
	return out, swapped
}

// lastDigitChanged is req with the last hex digit of its signature changed
// wherever it is written: in every signature header (a header whose name
// says "sign" and that differs from other's; PayU sends two) or else in a
// signature field of the body, taken as the longest run of at least 32 hex
// digits. A backend that compares only a prefix of the signature accepts
// it. It reports false when no signature written in hex is found.
func lastDigitChanged(req, other *getpaid.CallbackRequest) (*getpaid.CallbackRequest, bool) {
	out := cloneRequest(req)
	changed := false
	for k, v := range req.Header {
		if len(v) == 0 || !strings.Contains(strings.ToLower(k), "sign") || strings.Join(other.Header[k], ",") == strings.Join(v, ",") {
			continue
		}
		if s, ok := flipLastHex(v[0]); ok {
			out.Header[k] = append([]string{s}, v[1:]...)
			changed = true
		}
	}
	if changed {
		return out, true
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(req.Body, &fields) == nil {
		for _, k := range signatureFields {
			if a := fields[k]; len(a) > 0 {
				if s, ok := flipLastHex(string(a)); ok {
					out.Body = bytes.Replace(out.Body, a, []byte(s), 1)
					return out, true
				}
			}
		}
		return nil, false
	}
	if form, err := url.ParseQuery(string(req.Body)); err == nil {
		for _, k := range signatureFields {
			if a := form.Get(k); a != "" {
				if s, ok := flipLastHex(a); ok {
					b := bytes.Replace(out.Body, []byte(k+"="+url.QueryEscape(a)), []byte(k+"="+url.QueryEscape(s)), 1)
					if !bytes.Equal(b, out.Body) {
						out.Body = b
						return out, true
					}
				}
			}
		}
	}
	return nil, false
}

// flipLastHex changes the last digit of s's longest run of hex digits, when
// that run is at least 32 digits long (a digest).
func flipLastHex(s string) (string, bool) {
	longest, end, run := 0, -1, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
			run++
			if run > longest {
				longest, end = run, i
			}
			continue
		}
		run = 0
	}
	if longest < 32 {
		return "", false
	}
	d := byte('0')
	if s[end] == '0' {
		d = '1'
	}
	return s[:end] + string(d) + s[end+1:], true
}
