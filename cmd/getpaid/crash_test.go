package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid/broker/dummy"
	"github.com/getpaid-go/getpaid/internal/brokerhttp"
	"github.com/getpaid-go/getpaid/webhook"
)

// Issue 11, acceptance 2: SIGKILL the server right after a callback was
// acknowledged and before its webhook was delivered; started again, it
// delivers the webhook, with the same webhook-id.
func TestWebhookSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	secret := webhook.NewSecret()
	var (
		mu        sync.Mutex
		ids       []string // webhook-id of every paid-event request
		hold      atomic.Bool
		release   = make(chan struct{})
		delivered = make(chan string, 10)
	)
	hold.Store(true)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, err := webhook.Verify([]string{secret}, r.Header, body, 0, time.Now())
		if err != nil {
			t.Errorf("webhook does not verify: %v", err)
			return
		}
		var p webhook.Payload
		_ = json.Unmarshal(body, &p)
		if p.Data.To != "paid" {
			return
		}
		mu.Lock()
		ids = append(ids, id)
		mu.Unlock()
		if hold.Load() {
			<-release // the first server dies before this is answered
			return
		}
		delivered <- id
	}))
	defer receiver.Close()
	addr := freeAddr(t)
	dir := t.TempDir()
	path := writeConfig(t, `listen: `+addr+`
base_url: http://`+addr+`
database: sqlite:`+filepath.Join(dir, "getpaid.db")+`
api_keys: [server-api-key-0123456789]
delivery_timeout: 1s
backends:
  dummy:
    secret: s3cret
webhooks:
  - url: `+receiver.URL+`
    secret: `+secret+`
`)
	srv := startProcess(t, path, addr)
	base := "http://" + addr
	body, _ := json.Marshal(map[string]any{"order_id": "o-kill", "amount": "10.00", "currency": "PLN", "backend": "dummy"})
	req, _ := http.NewRequest("POST", base+"/api/v1/payments", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer server-api-key-0123456789")
	req.Header.Set("Content-Type", "application/json")
	resp, err := brokerhttp.Client(nil, 0, 0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	cb, sig := dummy.EncodeCallback("s3cret", dummy.Callback{PaymentID: p.ID, EventID: "e1", Status: "paid", Amount: "10.00", Currency: "PLN"})
	creq, _ := http.NewRequest("POST", base+"/callback/dummy", bytes.NewReader(cb))
	creq.Header.Set(dummy.SignatureHeader, sig)
	cresp, err := brokerhttp.Client(nil, 0, 0).Do(creq)
	if err != nil || cresp.StatusCode != 200 {
		t.Fatalf("callback: %v %v", cresp, err)
	}
	cresp.Body.Close()
	// The webhook is on its way (held by the receiver): kill the server.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(ids)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook was never attempted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.kill()
	hold.Store(false)
	close(release)
	startProcess(t, path, addr)
	select {
	case id := <-delivered:
		mu.Lock()
		first := ids[0]
		mu.Unlock()
		if id != first {
			t.Fatalf("redelivered with webhook-id %s, the first attempt had %s", id, first)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook was not delivered after the restart")
	}
}
