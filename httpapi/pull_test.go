package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// choose makes the buyer pick outcome on the dummy paywall a payment's
// redirect leads to.
func (e *env) choose(redirect *getpaid.Redirect, outcome string) {
	e.t.Helper()
	u, err := url.Parse(redirect.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	q := u.Query()
	q.Set("outcome", outcome)
	if resp, _ := e.postForm("/broker/dummy/choose", q); resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("paywall choice %s: %d", outcome, resp.StatusCode)
	}
	e.dummy.Wait()
}

// django-getpaid scenario 10 (PULL): what the broker answers a status query
// is applied as a push would be — paid is paid at once (no two-step quirk),
// a hold is pre_auth with the whole amount locked, a failure is failed —
// and a broker with nothing new changes nothing; asking again adds nothing.
func TestPullModeMappings(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		tests := []struct {
			name     string
			outcome  string // "" : the buyer chose nothing yet
			want     getpaid.Status
			captured string
			locked   string
		}{
			{"broker says nothing new", "", getpaid.StatusPrepared, "0.00", "0.00"},
			{"paid", "paid", getpaid.StatusPaid, "20.00", "0.00"},
			{"locked is pre-auth with the amount held", "pre_auth", getpaid.StatusPreAuth, "0.00", "20.00"},
			{"failed", "failed", getpaid.StatusFailed, "0.00", "0.00"},
			{"partially paid", "partially_paid", getpaid.StatusPartiallyPaid, "10.00", "0.00"},
		}
		e := newEnv(t, envOpts{store: store, noCallbacks: true})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				p := e.create("o-pull-"+tt.outcome, "20.00", "PLN", "dummy")
				if tt.outcome != "" {
					e.choose(p.Redirect, tt.outcome)
				}
				if got := e.payment(p.ID); got.Status != getpaid.StatusPrepared {
					t.Fatalf("before polling: %s (pull mode sent a callback?)", got.Status)
				}
				for i := range 2 {
					resp, body := e.do("POST", "/api/v1/payments/"+p.ID+"/poll", nil, auth)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("poll %d: %d %s", i, resp.StatusCode, body)
					}
					got := e.payment(p.ID)
					if got.Status != tt.want || got.Captured != tt.captured || got.Locked != tt.locked {
						t.Fatalf("poll %d: %s captured %s locked %s; want %s %s %s",
							i, got.Status, got.Captured, got.Locked, tt.want, tt.captured, tt.locked)
					}
					wantRows := 2 // new -> prepared, prepared -> want
					if tt.want == getpaid.StatusPrepared {
						wantRows = 1
					}
					if len(got.History) != wantRows {
						t.Fatalf("poll %d: %d history rows, want %d: %+v", i, len(got.History), wantRows, got.History)
					}
				}
			})
		}
	})
}

// django-getpaid scenario 9: a broker's notifications and getpaid's own
// status queries racing for one payment are applied one at a time, and the
// money is counted once: one move to paid, one event, captured = amount.
func TestCallbacksAndPollsRacingCountOnce(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store, noCallbacks: true})
		p := e.create("o-race", "20.00", "PLN", "dummy")
		e.choose(p.Redirect, "paid")
		const n = 24
		type answer struct {
			what string
			code int
			body []byte
		}
		answers := make(chan answer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					resp, body := e.do("POST", "/api/v1/payments/"+p.ID+"/poll", nil, auth)
					answers <- answer{fmt.Sprintf("poll %d", i), resp.StatusCode, body}
					return
				}
				body, sig := signed(dummy.Callback{PaymentID: p.ID, EventID: fmt.Sprintf("evt-%d", i), Status: "paid", Amount: "20.00", Currency: "PLN"})
				resp, b := e.callback(body, sig)
				answers <- answer{fmt.Sprintf("callback %d", i), resp.StatusCode, b}
			}()
		}
		wg.Wait()
		close(answers)
		for a := range answers {
			if a.code != http.StatusOK {
				t.Errorf("%s: %d %s", a.what, a.code, a.body)
			}
		}
		got := e.payment(p.ID)
		paid := 0
		for _, h := range got.History {
			if h.To == getpaid.StatusPaid {
				paid++
			}
		}
		if got.Status != getpaid.StatusPaid || got.Captured != "20.00" || paid != 1 {
			t.Fatalf("status %s captured %s with %d moves to paid; want paid 20.00 once", got.Status, got.Captured, paid)
		}
		if ev := e.statusEvents(p.ID, getpaid.StatusPaid); ev != 1 {
			t.Fatalf("%d status-changed events to paid, want 1", ev)
		}
	})
}

// django-getpaid scenario 8: a repeated notification, and a late or
// conflicting one (failed, a hold or a smaller capture after paid), are
// answered 200 "already processed" and change nothing.
func TestRepeatedAndLateCallbacksAreAlreadyProcessed(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store string) {
		e := newEnv(t, envOpts{store: store})
		p := e.create("o-late", "10.00", "PLN", "dummy")
		first := dummy.Callback{PaymentID: p.ID, EventID: "evt-paid", Status: "paid", Amount: "10.00", Currency: "PLN"}
		tests := []struct {
			name string
			cb   dummy.Callback
			want string
		}{
			{"first paid", first, "ok"},
			{"the same event again", first, "already processed"},
			{"paid again under another event id", dummy.Callback{PaymentID: p.ID, EventID: "evt-paid-2", Status: "paid", Amount: "10.00", Currency: "PLN"}, "already processed"},
			{"failed after paid", dummy.Callback{PaymentID: p.ID, EventID: "evt-failed", Status: "failed", Amount: "10.00", Currency: "PLN"}, "already processed"},
			{"a hold after paid", dummy.Callback{PaymentID: p.ID, EventID: "evt-hold", Status: "pre_auth", Amount: "10.00", Currency: "PLN"}, "already processed"},
			{"a smaller capture after paid", dummy.Callback{PaymentID: p.ID, EventID: "evt-part", Status: "partially_paid", Amount: "4.00", Currency: "PLN"}, "already processed"},
		}
		// In order: each case follows the one before it.
		for _, tt := range tests {
			body, sig := signed(tt.cb)
			resp, b := e.callback(body, sig)
			var ack struct{ Status string }
			if err := json.Unmarshal(b, &ack); err != nil || resp.StatusCode != http.StatusOK || ack.Status != tt.want {
				t.Fatalf("%s: %d %s, want 200 %q", tt.name, resp.StatusCode, b, tt.want)
			}
			// The bytes too: the answer is a contract, as encoding/json
			// wrote the one-key map it was.
			if want := `{"status":"` + tt.want + "\"}\n"; string(b) != want {
				t.Fatalf("%s: answer %q, want %q", tt.name, b, want)
			}
			got := e.payment(p.ID)
			if got.Status != getpaid.StatusPaid || got.Captured != "10.00" || got.Locked != "0.00" || len(got.History) != 2 {
				t.Fatalf("%s: %s captured %s locked %s, %d history rows; want paid 10.00 0.00, 2 rows",
					tt.name, got.Status, got.Captured, got.Locked, len(got.History))
			}
		}
		if ev := e.statusEvents(p.ID, getpaid.StatusPaid); ev != 1 {
			t.Fatalf("%d status-changed events to paid, want 1", ev)
		}
	})
}
