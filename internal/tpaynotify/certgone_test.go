package tpaynotify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/internal/tpaynotify"
)

// A notification waiting for the signing certificate another one is
// fetching is not failed by that other request going away (Tpay hanging
// up on it, its deadline passed): the fetch was cancelled, not refused, and
// the notification still waited for fetches the certificate itself.
func TestCertificateWaiterOutlivesTheFetcher(t *testing.T) {
	t.Parallel()
	pki, err := tpaynotify.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	var leafGets atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/x509/notifications-jws.pem", func(w http.ResponseWriter, r *http.Request) {
		if leafGets.Add(1) == 1 {
			<-r.Context().Done() // the first fetch hangs until its caller goes away
			return
		}
		_, _ = w.Write(tpaynotify.PEM(pki.Cert))
	})
	mux.HandleFunc(tpaynotify.RootCertPath, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(tpaynotify.PEM(pki.Root)) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	v := tpaynotify.NewJWSVerifier(srv.URL, srv.Client(), nil)
	body := []byte(`{"tr_id":"TR-1"}`)
	sig, err := tpaynotify.SignJWS(pki.Key, srv.URL+"/x509/notifications-jws.pem", body)
	if err != nil {
		t.Fatal(err)
	}
	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() { firstErr <- v.Verify(first, sig, body) }()
	for leafGets.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	second := make(chan error, 1)
	go func() { second <- v.Verify(context.Background(), sig, body) }()
	time.Sleep(200 * time.Millisecond) // the second waits for the first's fetch
	cancel()
	if err := <-firstErr; err == nil {
		t.Fatal("the cancelled Verify succeeded")
	}
	if err := <-second; err != nil {
		t.Fatalf("the Verify whose caller still waited: %v; want the notification verified", err)
	}
}
