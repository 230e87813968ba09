package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/payu/payutest"
	"github.com/getpaid-go/getpaid/httpapi"
)

// payuSim is the PayU simulator shared by the servers of a cluster, served
// by the test, counting the refunds it is asked for.
type payuSim struct {
	*payutest.Server
	mu      sync.Mutex
	refunds []int64 // minor units asked, per refund request
}

// startPayu starts a PayU simulator; notify bounds its delivery attempts.
func startPayu(t *testing.T, notify int) *payuSim {
	t.Helper()
	s := &payuSim{Server: payutest.New(payutest.Config{SkipPending: true, NotifyAttempts: notify,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})}
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/refunds") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			s.countRefund(body)
		}
		h.ServeHTTP(w, r)
	}))
	s.SetBaseURL(ts.URL)
	t.Cleanup(func() { s.Close(); ts.Close() })
	return s
}

// countRefund records the amount a refund request asks for: its amount, or
// (a request without one refunds what is left) the whole order, the most it
// can be.
func (s *payuSim) countRefund(body []byte) {
	var req struct {
		Refund struct {
			Amount string `json:"amount"`
		} `json:"refund"`
	}
	_ = json.Unmarshal(body, &req)
	n, err := strconv.ParseInt(req.Refund.Amount, 10, 64)
	if err != nil {
		n = -1 // the whole order
	}
	s.mu.Lock()
	s.refunds = append(s.refunds, n)
	s.mu.Unlock()
}

// backends is the cluster's backends YAML for the simulator.
func (s *payuSim) backends() string {
	c := s.Config()
	return fmt.Sprintf("    payu:\n      pos_id: %q\n      second_key: %q\n      client_id: %q\n      client_secret: %q\n      api_url: %q\n",
		c.PosID, c.SecondKey, c.ClientID, c.ClientSecret, s.URL())
}

// pay has the buyer pay p at the simulator.
func (s *payuSim) pay(t *testing.T, p *httpapi.PaymentJSON) {
	t.Helper()
	if err := s.Pay(t.Context(), p.Redirect, payutest.OutcomePaid); err != nil {
		t.Fatalf("paying %s at the simulator: %v", p.ID, err)
	}
}

// waitStatus waits until payment id reads status on in.
func waitStatus(t *testing.T, in *instance, id, status string) *httpapi.PaymentJSON {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p := getPayment(t, in, id)
		if string(p.Status) == status {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment %s is %s, want %s", id, p.Status, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestScalePollAndCallback: a status poll and a notification for the same
// payment at the same moment on two different servers: one transition to
// paid, the amount captured once.
func TestScalePollAndCallback(t *testing.T) {
	t.Parallel()
	sim := startPayu(t, 1)
	// Server 0's base_url leads nowhere, so the simulator's own
	// notification is lost and the test sends it when it chooses.
	c := newCluster(t, 3, clusterConfig{backends: sim.backends(), baseURL: func(i int, addr string) string {
		if i == 0 {
			return "http://127.0.0.1:1"
		}
		return "http://" + addr
	}})
	for k := range 20 {
		p := createPayment(t, c.insts[0], "payu", fmt.Sprintf("o-poll-%d", k), "10.00")
		sim.pay(t, p)
		note, err := sim.Notification(p.ExternalID, "COMPLETED", "", "")
		if err != nil {
			t.Fatal(err)
		}
		header := map[string]string{}
		for h := range note.Header {
			header[h] = note.Header.Get(h)
		}
		var (
			wg                   sync.WaitGroup
			cbStatus, pollStatus int
		)
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			cbStatus, _ = do("POST", c.insts[1].url+"/callback/payu", header, note.Body)
		})
		wg.Go(func() {
			<-start
			pollStatus = api(t, "POST", c.insts[2].url+"/api/v1/payments/"+p.ID+"/poll", nil, nil, nil)
		})
		close(start)
		wg.Wait()
		if cbStatus != http.StatusOK || pollStatus != http.StatusOK {
			t.Errorf("payment %d: callback HTTP %d, poll HTTP %d; want 200, 200", k, cbStatus, pollStatus)
		}
		got := getPayment(t, c.insts[0], p.ID)
		if got.Status != "paid" || got.Captured != "10.00" || transitionsTo(got, "paid") != 1 {
			t.Errorf("payment %d: status %s, captured %s, history %+v; want paid once, 10.00", k, got.Status, got.Captured, got.History)
		}
		if n := c.count("SELECT count(*) FROM outbox WHERE payment_id = $1 AND to_status = 'paid'", p.ID); n != 1 {
			t.Errorf("payment %d: %d paid events, want 1", k, n)
		}
	}
}

// TestScaleConcurrentRefunds: two servers, 50 concurrent full refunds of one
// paid payment spread over both, each with its own idempotency key: PayU is
// asked for at most the captured amount in total.
func TestScaleConcurrentRefunds(t *testing.T) {
	t.Parallel()
	sim := startPayu(t, 8)
	c := newCluster(t, 2, clusterConfig{backends: sim.backends()})
	p := createPayment(t, c.insts[0], "payu", "o-refunds", "10.00")
	sim.pay(t, p)
	waitStatus(t, c.insts[1], p.ID, "paid")
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for i := range 50 {
		wg.Go(func() {
			status, body := do("POST", c.insts[i%2].url+"/api/v1/payments/"+p.ID+"/refund",
				map[string]string{"Authorization": "Bearer " + clusterKey, "Idempotency-Key": fmt.Sprintf("refund-%d", i)}, nil)
			if status/100 == 5 {
				t.Logf("refund %d: HTTP %d %s", i, status, body)
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	for status := range statuses {
		switch status {
		case http.StatusOK, http.StatusConflict, http.StatusUnprocessableEntity:
		default:
			t.Errorf("refund answers %v: want 200, or 409/422 for refunds refused as nothing is left", statuses)
		}
	}
	if statuses[http.StatusOK] == 0 {
		t.Errorf("refund answers %v: none accepted", statuses)
	}
	sim.mu.Lock()
	asked := append([]int64(nil), sim.refunds...)
	sim.mu.Unlock()
	total := int64(0)
	for _, n := range asked {
		if n < 0 {
			n = 1000 // a refund of everything left: at most the order
		}
		total += n
	}
	if len(asked) == 0 || total > 1000 {
		t.Errorf("PayU was asked for refunds %v (total %d minor units), want at most the 1000 captured", asked, total)
	}
	got := getPayment(t, c.insts[1], p.ID)
	if got.Status != getpaid.StatusRefundStarted {
		t.Errorf("after the refunds: status %s, want refund_started", got.Status)
	}
	t.Logf("answers %v; refunds asked %v", statuses, asked)
	if t.Failed() {
		for i, in := range c.insts {
			t.Logf("server %d log:\n%s", i, in.log)
		}
	}
}
