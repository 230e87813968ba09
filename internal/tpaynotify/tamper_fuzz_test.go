package tpaynotify_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// FuzzTamperedJWS: a body Tpay signed (its X-JWS-Signature computed by a
// simulated Tpay PKI, its certificates served under the trusted prefix)
// verifies only as signed: whatever is done to the body or the header, an
// accepted body is the signed one, byte for byte. Every refusal is a bad
// signature or a broker error (a certificate that could not be had);
// nothing panics. The seeds are the signed notifications, form and JSON.
func FuzzTamperedJWS(f *testing.F) {
	pki, err := tpaynotify.NewPKI()
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/x509/notifications-jws.pem", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(tpaynotify.PEM(pki.Cert)) })
	mux.HandleFunc(tpaynotify.RootCertPath, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(tpaynotify.PEM(pki.Root)) })
	srv := httptest.NewServer(mux)
	f.Cleanup(srv.Close)
	// The prefix is a fixed name, so the seeds name the same URLs at every
	// run; the client dials the test server whatever the host.
	const prefix = "http://tpay.test"
	client := &http.Client{
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	f.Cleanup(client.CloseIdleConnections)
	v := tpaynotify.NewJWSVerifier(prefix, client, nil)
	signed := [][]byte{
		[]byte("id=1010&tr_id=TR-ABC-1&tr_date=2026-12-01+10%3A00%3A00&tr_crc=pay_1&tr_amount=10.00&tr_paid=10.00&tr_desc=x&tr_status=TRUE&tr_error=none&tr_email=a%40b.pl&md5sum=6c54fdbd4731d36febb274fea8e923e1"),
		[]byte(`{"id":1010,"tr_id":"TR-1","tr_crc":"pay_1","tr_amount":10.00,"tr_paid":10.00,"tr_status":"TRUE","md5sum":"a001a5b9a94b26d17ca82400f134590e"}`),
	}
	for _, body := range signed {
		sig, err := tpaynotify.SignJWS(pki.Key, prefix+"/x509/notifications-jws.pem", body)
		if err != nil {
			f.Fatal(err)
		}
		if err := v.Verify(context.Background(), sig, body); err != nil {
			f.Fatalf("the signed body is refused: %v", err)
		}
		f.Add(sig, body)
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := v.Verify(context.Background(), header, body)
		var be *getpaid.BrokerError
		switch {
		case err == nil:
			for _, s := range signed {
				if bytes.Equal(body, s) {
					return
				}
			}
			t.Fatalf("a body Tpay did not sign verified: %q with %q", body, header)
		case errors.Is(err, getpaid.ErrSignatureInvalid), errors.As(err, &be):
		default:
			t.Fatalf("unclassified error: %v", err)
		}
	})
}
