package brokertest

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/getpaid-go/getpaid"
)

// boundary runs the cases of what crosses the broker's boundary besides
// the flows: status polls, event ids, and bodies that are no notification.
func boundary(t *testing.T, newHarness func(t *testing.T) *Harness, newEnv func(t *testing.T, h *Harness) *env) {
	// A payment the buyer has not paid yet (not even opened, at a broker
	// that registers nothing before: Dotpay, the dummy) polls as nothing
	// new, not an error: Expire polls a payment one last time and keeps
	// it waiting while that poll fails, so such a payment would never
	// expire. A paid one polls as what it is, counted once.
	t.Run("poll", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		if _, ok := h.Broker.(getpaid.StatusFetcher); !ok {
			t.Skip("broker answers no status queries")
		}
		e := newEnv(t, h)
		p := e.pay(t, "poll")
		if _, err := e.eng.Poll(context.Background(), p.ID); err != nil {
			t.Fatalf("poll of a payment the buyer has not paid yet: %v", err)
		}
		e.unchanged(t, p, 1)
		q := paid(t, h, e, "poll-paid")
		quiet(t, h)
		for i := 0; i < 2; i++ {
			if _, err := e.eng.Poll(context.Background(), q.ID); err != nil {
				t.Fatalf("poll %d of a paid payment: %v", i, err)
			}
		}
		e.unchanged(t, q, len(e.history(t, q.ID)))
		if n := countTo(e.history(t, q.ID), getpaid.StatusPaid); n != 1 {
			t.Fatalf("%d transitions to paid", n)
		}
	})
	// Notifications of different facts of one payment are read with
	// different event ids: the engine takes a notification whose id it has
	// applied for a repeat, so a payment failed and then paid, or paid in
	// part and then in full, would lose the later fact.
	t.Run("event ids", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "ids")
		ids := map[string]string{}
		add := func(name string, req *getpaid.CallbackRequest, err error) {
			if err != nil {
				t.Fatal(err)
			}
			o, err := h.Broker.ParseCallback(context.Background(), req)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if other, ok := ids[o.EventID]; ok {
				t.Errorf("%s and %s read with one EventID %q", name, other, o.EventID)
			}
			ids[o.EventID] = name
		}
		r, err := h.PaidNotification(p, h.Amount)
		add("paid", r, err)
		if h.FailedNotification != nil {
			r, err = h.FailedNotification(p)
			add("failed", r, err)
		}
		if h.PartialNotification != nil {
			r, err = h.PartialNotification(p, getpaid.Money{Minor: h.Amount.Minor / 2, Currency: h.Amount.Currency})
			add("partial", r, err)
		}
	})
	// Bodies that are no notification at all, as anyone can post them,
	// are refused as a bad signature or a malformed callback (what the
	// HTTP layer answers 4xx and counts against the sender; any other
	// error is a 500, which says "try again"), and change nothing.
	t.Run("junk notification", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		e := newEnv(t, h)
		p := e.pay(t, "junk")
		req, err := h.PaidNotification(p, h.Amount)
		if err != nil {
			t.Fatal(err)
		}
		checkJunk(t, h.Broker, req)
		for name, r := range junk(req) {
			if _, err := e.callback(r); !errors.Is(err, getpaid.ErrSignatureInvalid) && !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Errorf("%s: err = %v, want ErrSignatureInvalid or ErrMalformedCallback", name, err)
			}
		}
		e.unchanged(t, p, 1)
	})
	// A broker value learns one backend name and base URL: provisioned
	// again for another (put in two registries provisioned for two base
	// URLs), it is refused, not moved, as the first registry's payments
	// would send buyers and notifications to the second's; the same again
	// (a second engine on one registry) is taken.
	t.Run("provisioned once", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		p, ok := h.Broker.(getpaid.Provisioner)
		if !ok {
			t.Skip("broker needs no environment")
		}
		ctx := context.Background()
		for _, base := range []string{"https://one.example/pay", "https://one.example/pay/"} {
			if err := p.Provision(ctx, getpaid.NewEnv(h.Name, base, nil)); err != nil {
				t.Fatalf("provision at %s: %v", base, err)
			}
		}
		for _, env := range []getpaid.Env{getpaid.NewEnv(h.Name, "https://two.example/pay", nil), getpaid.NewEnv(h.Name+"_2", "https://one.example/pay", nil)} {
			if err := p.Provision(ctx, env); !errors.Is(err, getpaid.ErrInvalidRequest) {
				t.Errorf("provisioned as %s at %s after %s at https://one.example/pay: %v, want ErrInvalidRequest", env.Backend, env.BaseURL, h.Name, err)
			}
		}
	})
}

// junk returns copies of a valid notification that are no notification at
// all, as anyone can post them to the callback URL: no body, bodies of
// every shape but the broker's. Each keeps
// the original's method and sender, so only what it carries is wrong.
func junk(req *getpaid.CallbackRequest) map[string]*getpaid.CallbackRequest {
	out := map[string]*getpaid.CallbackRequest{}
	for name, body := range map[string]string{
		"empty body":       "",
		"empty JSON":       "{}",
		"JSON null":        "null",
		"JSON array":       "[]",
		"empty form":       "=",
		"binary":           "\x00\xff\xfe\x01",
		"whitespace":       " \r\n",
		"unclosed JSON":    `{"`,
		"form of nothing":  "&&&",
		"a form's one key": "status=COMPLETED",
	} {
		r := cloneRequest(req)
		r.Body = []byte(body)
		out[name] = r
	}
	return out
}

// checkJunk checks that the broker refuses junk as a bad signature or a
// malformed callback, the two refusals the engine and the HTTP layer know
// (4xx, counted against the sender), and that ParseCallback leaves the
// request as it came.
func checkJunk(t testing.TB, b getpaid.Broker, req *getpaid.CallbackRequest) {
	t.Helper()
	for name, r := range junk(req) {
		before := cloneRequest(r)
		_, err := b.ParseCallback(context.Background(), r)
		if !errors.Is(err, getpaid.ErrSignatureInvalid) && !errors.Is(err, getpaid.ErrMalformedCallback) {
			t.Errorf("%s: ParseCallback err = %v, want ErrSignatureInvalid or ErrMalformedCallback", name, err)
		}
		if !bytes.Equal(before.Body, r.Body) || !reflect.DeepEqual(before.Header, r.Header) {
			t.Errorf("%s: ParseCallback changed the request", name)
		}
		if v, ok := b.(getpaid.CallbackVerifier); ok {
			err := v.VerifyCallback(context.Background(), r)
			if !errors.Is(err, getpaid.ErrSignatureInvalid) && !errors.Is(err, getpaid.ErrMalformedCallback) {
				t.Errorf("%s: VerifyCallback err = %v, want ErrSignatureInvalid or ErrMalformedCallback", name, err)
			}
		}
	}
}

// checkVerifier checks a CallbackVerifier agrees with ParseCallback: the
// genuine notifications pass it, and each tampered one fails it as a bad
// signature (a truncated body may be malformed instead), so getpaid's
// callback check says of a notification what serve would do with it.
func checkVerifier(t testing.TB, b getpaid.Broker, genuine []*getpaid.CallbackRequest, cases map[string]tampering) {
	t.Helper()
	v, ok := b.(getpaid.CallbackVerifier)
	if !ok {
		return
	}
	for i, r := range genuine {
		if err := v.VerifyCallback(context.Background(), r); err != nil {
			t.Errorf("genuine notification %d: VerifyCallback err = %v", i, err)
		}
	}
	for name, tc := range cases {
		if tc.equivalent {
			continue
		}
		err := v.VerifyCallback(context.Background(), tc.req)
		switch {
		case errors.Is(err, getpaid.ErrSignatureInvalid):
		case tc.malformed && errors.Is(err, getpaid.ErrMalformedCallback):
		default:
			t.Errorf("%s: VerifyCallback err = %v, want ErrSignatureInvalid", name, err)
		}
	}
}
