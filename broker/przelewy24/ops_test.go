package przelewy24

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/przelewy24/p24test"
)

func TestRefundIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id                string
		wantReq, wantUUID string
	}{
		{"op_0123456789abcdefghjkmnpqrs", "op_0123456789abcdefghjkmnpqrs", "op_0123456789abcdefghjkmnpqrs"},
		{strings.Repeat("x", 35), strings.Repeat("x", 35), strings.Repeat("x", 35)},
		{strings.Repeat("x", 36), strings.Repeat("x", 36), ""},
		{strings.Repeat("y", 46), "", ""},
	}
	for _, tc := range tests {
		req, uuid := refundIDs(tc.id)
		again, uuid2 := refundIDs(tc.id)
		if req != again || uuid != uuid2 || len(req) > maxRequestID || len(uuid) > maxRefundsUUID {
			t.Fatalf("%q -> %q %q (not deterministic or too long)", tc.id, req, uuid)
		}
		if tc.wantReq != "" && req != tc.wantReq || tc.wantUUID != "" && uuid != tc.wantUUID {
			t.Fatalf("%q -> %q %q", tc.id, req, uuid)
		}
		if tc.wantUUID == "" && (!strings.HasPrefix(uuid, hashedPrefix) || len(uuid) != maxRefundsUUID) {
			t.Fatalf("%q -> refundsUuid %q, want a derived one", tc.id, uuid)
		}
		if tc.wantReq == "" && (!strings.HasPrefix(req, hashedPrefix) || operationOf(req) != "") {
			t.Fatalf("%q -> requestId %q, want a derived one", tc.id, req)
		}
	}
}

// A refund repeated with the same operation id is one refund: Przelewy24
// answers the repeat 400 "Request already exists", and the backend reports
// the refund it already has.
func TestRefundRepeated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	p := newPayment(1000, "PLN")
	e.paid(t, p)
	req := &getpaid.RefundRequest{Payment: p, Amount: p.Money(300), OperationID: getpaid.NewID("op")}
	first, err := e.b.Refund(ctx, req)
	if err != nil || first.Kind != getpaid.KindRefundStarted || first.OperationID != req.OperationID {
		t.Fatalf("first: %+v, %v", first, err)
	}
	again, err := e.b.Refund(ctx, req)
	if err != nil || again.OperationID != req.OperationID || again.Kind != getpaid.KindRefunded || again.Amount != p.Money(300) {
		t.Fatalf("repeat: %+v, %v; want the refund as it stands (completed)", again, err)
	}
	if got := e.sim.Refunds(p.ID); len(got) != 1 || got[0].RequestID != req.OperationID || got[0].RefundsUUID != req.OperationID {
		t.Fatalf("simulator holds %+v, want one refund", got)
	}
	// Its notification went to getpaid's callback URL, echoing the operation.
	waitFor(t, "refund notification", func() bool { return len(e.recv.requests()) == 2 })
	n, err := e.b.ParseCallback(ctx, e.recv.requests()[1])
	if err != nil || n.OperationID != req.OperationID || n.EventID != again.EventID {
		t.Fatalf("notification %+v, %v; lookup %+v", n, err, again)
	}
}

func TestRefundNotifyURL(t *testing.T) {
	t.Parallel()
	for _, override := range []string{"", "https://elsewhere.example/refunds"} {
		t.Run("override="+override, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			if override != "" {
				b, err := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", APIURL: e.sim.URL(), RefundNotifyURL: override})
				if err != nil {
					t.Fatal(err)
				}
				if err := b.Provision(ctx, getpaid.NewEnv("przelewy24", e.recv.srv.URL, nil)); err != nil {
					t.Fatal(err)
				}
				e.b = b
			}
			p := newPayment(1000, "PLN")
			e.paid(t, p)
			if _, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(100), OperationID: "op_url"}); err != nil {
				t.Fatal(err)
			}
			want := override
			if want == "" {
				want = e.recv.srv.URL + "/callback/przelewy24"
			}
			waitFor(t, "refund delivery", func() bool {
				for _, d := range e.sim.Notifications() {
					if d.Kind == "refund" {
						return true
					}
				}
				return false
			})
			for _, d := range e.sim.Notifications() {
				if d.Kind == "refund" && d.URL != want {
					t.Fatalf("refund notification sent to %s, want %s", d.URL, want)
				}
			}
		})
	}
}

// FetchOperation tells a refund's state from the lookup by orderId.
func TestFetchOperationRefund(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		delay  time.Duration
		reject bool
		want   getpaid.Kind
	}{
		{"pending", time.Hour, false, getpaid.KindRefundStarted},
		{"completed", 0, false, getpaid.KindRefunded},
		{"rejected", 0, true, getpaid.KindRefundFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, func(c *p24test.Config) { c.RefundDelay = tc.delay })
			p := newPayment(1000, "PLN")
			e.paid(t, p)
			op := &getpaid.Operation{ID: getpaid.NewID("op"), Kind: getpaid.OpRefund}
			if _, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op}); !errors.Is(err, getpaid.ErrNotFound) {
				t.Fatalf("before the refund: err = %v, want ErrNotFound", err)
			}
			e.sim.SetRefundRejected(tc.reject)
			if _, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(400), OperationID: op.ID}); err != nil {
				t.Fatal(err)
			}
			o, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op})
			if err != nil || o.Kind != tc.want || o.OperationID != op.ID || o.Amount != p.Money(400) {
				t.Fatalf("%+v, %v; want %s", o, err, tc.want)
			}
			if tc.delay == 0 {
				waitFor(t, "refund notification", func() bool { return len(e.recv.requests()) == 2 })
				n, err := e.b.ParseCallback(ctx, e.recv.requests()[1])
				if err != nil || n.EventID != o.EventID || n.Kind != o.Kind {
					t.Fatalf("notification %+v, lookup %+v (%v): the same fact must have the same event id", n, o, err)
				}
			}
		})
	}
	t.Run("never paid", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		p := newPayment(1000, "PLN")
		e.prepare(t, p)
		if _, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: &getpaid.Operation{ID: "op_x", Kind: getpaid.OpRefund}}); !errors.Is(err, getpaid.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if _, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: &getpaid.Operation{ID: "op_x", Kind: getpaid.OpCapture}}); !errors.Is(err, getpaid.ErrNotSupported) {
			t.Fatalf("capture lookup: err = %v, want ErrNotSupported", err)
		}
	})
}

// The simulator's operation faults: the backend says the refund may have
// happened, and the lookup tells whether it did; a retry makes one refund.
func TestRefundFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		mode     string
		happened bool
	}{
		{p24test.FaultTimeoutAfter, true},
		{p24test.FaultTimeoutBefore, false},
		{p24test.Fault5xx, false},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			p := newPayment(1000, "PLN")
			e.paid(t, p)
			op := &getpaid.Operation{ID: getpaid.NewID("op"), Kind: getpaid.OpRefund}
			e.sim.SetOperationFault(tc.mode)
			_, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(250), OperationID: op.ID})
			e.sim.SetOperationFault(p24test.FaultNone)
			var be *getpaid.BrokerError
			if !errors.As(err, &be) || !be.Happened || !be.Retryable {
				t.Fatalf("err = %#v, want retryable and possibly happened", err)
			}
			o, err := e.b.FetchOperation(ctx, &getpaid.OperationRequest{Payment: p, Operation: op})
			if tc.happened {
				if err != nil || o.Kind != getpaid.KindRefunded || o.OperationID != op.ID {
					t.Fatalf("lookup %+v, %v; want the refund made", o, err)
				}
			} else if !errors.Is(err, getpaid.ErrNotFound) {
				t.Fatalf("lookup %+v, %v; want ErrNotFound", o, err)
			}
			if _, err := e.b.Refund(ctx, &getpaid.RefundRequest{Payment: p, Amount: p.Money(250), OperationID: op.ID}); err != nil {
				t.Fatal(err)
			}
			if n := len(e.sim.Refunds(p.ID)); n != 1 {
				t.Fatalf("%d refunds after the retry, want 1", n)
			}
		})
	}
}

// A refusal did nothing; a connection never made did nothing.
func TestRefusalsDidNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPayment(1000, "PLN")
	e.paid(t, p)
	_, err := e.b.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Money(5000), OperationID: "op_over"})
	var be *getpaid.BrokerError
	if !errors.As(err, &be) || be.Happened || be.Retryable {
		t.Fatalf("overdrawn refund: %#v", err)
	}
	dead, _ := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", APIURL: "http://127.0.0.1:1"})
	_ = dead.Provision(context.Background(), getpaid.NewEnv("przelewy24", "https://shop.example", nil))
	_, err = dead.Refund(context.Background(), &getpaid.RefundRequest{Payment: p, Amount: p.Money(100), OperationID: "op_dead"})
	if !errors.As(err, &be) || be.Happened || !be.Retryable {
		t.Fatalf("connection refused: %#v", err)
	}
}

// recordingEnv puts a recorder of request bodies in front of the simulator.
func recordingEnv(t *testing.T, edit func(*Config)) (*env, func(path string) map[string]any) {
	t.Helper()
	e := newEnv(t)
	var mu sync.Mutex
	bodies := map[string][]byte{}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies[r.URL.Path] = body
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	cfg := Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", APIURL: front.URL}
	if edit != nil {
		edit(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Provision(context.Background(), getpaid.NewEnv("przelewy24", e.recv.srv.URL, nil)); err != nil {
		t.Fatal(err)
	}
	e.b = b
	return e, func(path string) map[string]any {
		mu.Lock()
		defer mu.Unlock()
		var m map[string]any
		if err := json.Unmarshal(bodies[path], &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return m
	}
}

func TestRegisterSettings(t *testing.T) {
	t.Parallel()
	zero, wait := 0, true
	e, sent := recordingEnv(t, func(c *Config) { c.TimeLimit, c.WaitForResult, c.Channel, c.Method = &zero, &wait, 2|4|8192, 25 })
	p := newPayment(1000, "PLN")
	e.prepare(t, p) // the simulator validates every field to the specification
	m := sent("/api/v1/transaction/register")
	if m["timeLimit"] != float64(0) || m["waitForResult"] != true || m["channel"] != float64(8198) || m["method"] != float64(25) {
		t.Fatalf("register sent %v", m)
	}
	plain, sent2 := recordingEnv(t, nil)
	plain.prepare(t, newPayment(1000, "PLN"))
	m = sent2("/api/v1/transaction/register")
	for _, k := range []string{"timeLimit", "waitForResult", "channel", "method"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s sent without a setting: %v", k, m[k])
		}
	}
}

func TestPrepareRefusesBeforeSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	long := newPayment(100, "PLN")
	long.Buyer.Email = strings.Repeat("a", 39) + "@example.com" // 51 characters
	_, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: long})
	var fe *getpaid.FieldError
	if !errors.As(err, &fe) || fe.Field != "buyer.email" || !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("51-character email: err = %v", err)
	}
	if _, ok := e.sim.Status(long.ID); ok {
		t.Fatal("registered at Przelewy24 although refused")
	}
	fits := newPayment(100, "PLN")
	fits.Buyer.Email = strings.Repeat("a", 38) + "@example.com" // 50
	if _, err := e.b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: fits}); err != nil {
		t.Fatalf("50-character email: %v", err)
	}
	b, _ := New(Config{MerchantID: 11111, CRC: testCRC, APIKey: "secret", APIURL: e.sim.URL()})
	_ = b.Provision(context.Background(), getpaid.NewEnv("przelewy24", "https://shop.example/"+strings.Repeat("p", 240), nil))
	if _, err := b.Prepare(context.Background(), &getpaid.PrepareRequest{Payment: newPayment(100, "PLN")}); !errors.Is(err, getpaid.ErrInvalidRequest) {
		t.Fatalf("urlReturn over 250 characters: err = %v", err)
	}
}
