package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// A JSON API body sent with a Content-Encoding getpaid does not undo
// (gzip, br) is 415 naming the header, not parsed as if it were plain
// JSON: a gzipped body was answered "malformed JSON at byte 1", which does
// not say why, and an encoded body that happened to parse was taken as it
// stood. "identity" (no encoding) is fine.
func TestEncodedBodyRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	body := `{"order_id":"o-enc","amount":"1.00","currency":"PLN","backend":"dummy"}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(body))
	_ = zw.Close()
	for _, tt := range []struct {
		name, encoding, body string
		status               int
	}{
		{"gzip", "gzip", gz.String(), 415},
		{"gzip over a plain body", "gzip", body, 415},
		{"br", "br", body, 415},
		{"two encodings", "gzip, identity", body, 415},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, out := e.post("/api/v1/payments", strings.NewReader(tt.body), int64(len(tt.body)),
				map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json", "Content-Encoding": tt.encoding})
			if resp.StatusCode != tt.status || !strings.Contains(string(out), "Content-Encoding") {
				t.Fatalf("status %d, want %d naming Content-Encoding: %s", resp.StatusCode, tt.status, out)
			}
		})
	}
	page, err := e.store.Payments(t.Context(), getpaid.PaymentFilter{})
	if err != nil || len(page.Payments) != 0 {
		t.Fatalf("refused requests stored %d payments (%v)", len(page.Payments), err)
	}
	resp, out := e.post("/api/v1/payments", strings.NewReader(body), int64(len(body)),
		map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json", "Content-Encoding": "identity"})
	if resp.StatusCode != 201 {
		t.Fatalf("identity: %d %s", resp.StatusCode, out)
	}
}

// A body beginning with a UTF-8 byte order mark (PowerShell's Out-File,
// .NET's Encoding.UTF8 write one) is read as the JSON after it, as RFC 8259
// lets a parser do: it was refused as "malformed JSON at byte 1", which did
// not say why. A mark anywhere else is still malformed JSON.
func TestBodyWithByteOrderMark(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	hdr := map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json"}
	body := "\ufeff" + `{"order_id":"o-bom","amount":"1.00","currency":"PLN","backend":"dummy"}`
	resp, out := e.post("/api/v1/payments", strings.NewReader(body), int64(len(body)), hdr)
	if resp.StatusCode != 201 || !strings.Contains(string(out), `"order_id":"o-bom"`) {
		t.Fatalf("a body after a byte order mark: %d %s, want 201", resp.StatusCode, out)
	}
	for _, bad := range []string{"\ufeff\ufeff{}", `{"order_id":"o-bom2",` + "\ufeff" + `"amount":"1.00","currency":"PLN","backend":"dummy"}`} {
		if resp, out := e.post("/api/v1/payments", strings.NewReader(bad), int64(len(bad)), hdr); resp.StatusCode != 400 {
			t.Errorf("%q: %d %s, want 400", bad, resp.StatusCode, out)
		}
	}
}

// A malformed body after a byte order mark is said malformed at the byte
// the client sent, counted with the mark (as the client's editor counts
// it): it was counted from after the mark, three bytes short, pointing the
// client at the wrong place.
func TestByteOrderMarkKeepsTheErrorsByte(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	hdr := map[string]string{"Authorization": "Bearer " + apiKey, "Content-Type": "application/json"}
	for _, body := range []string{`{"order_id":}`, "\ufeff" + `{"order_id":}`} {
		want := fmt.Sprintf("malformed JSON at byte %d", strings.Index(body, "}")+1)
		resp, out := e.post("/api/v1/payments", strings.NewReader(body), int64(len(body)), hdr)
		if resp.StatusCode != 400 || !strings.Contains(string(out), want) {
			t.Errorf("%q: %d %s, want 400 saying %q", body, resp.StatusCode, out, want)
		}
	}
}
