package admin_test

import (
	"context"
	"html"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// heldCaptures is the dummy broker whose captures wait at the broker
// until released, as a slow broker's do.
type heldCaptures struct {
	*dummy.Broker
	entered, release chan struct{}
	once             sync.Once
}

func (h *heldCaptures) Capture(ctx context.Context, req *getpaid.CaptureRequest) (*getpaid.Observation, error) {
	h.once.Do(func() { close(h.entered) })
	<-h.release
	return h.Broker.Capture(ctx, req)
}

// TestActionsWaitForOperationInFlight: while a capture of a held payment
// is at its broker or in doubt, the engine refuses a second capture, a
// release or a cancel, yet the payment's page offered them as if they
// could succeed. It now shows them disabled, with a line naming the
// capture and what settles it.
func TestActionsWaitForOperationInFlight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		held  bool // the capture waits at the broker; else its answer is lost
		state getpaid.OperationState
		want  string
	}{
		{"at the broker", true, getpaid.OpSubmitting, "is at its broker"},
		{"in doubt", false, getpaid.OpUnknown, "is in doubt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			held := &heldCaptures{entered: make(chan struct{}), release: make(chan struct{})}
			var releaseOnce sync.Once
			release := func() { releaseOnce.Do(func() { close(held.release) }) }
			e := newEnvWith(t, nil, false, func(d *dummy.Broker) getpaid.Broker {
				held.Broker = d
				if tc.held {
					return held
				}
				return d
			})
			t.Cleanup(release)
			p := e.pay("o-inflight", "20.00", "pre_auth", getpaid.StatusPreAuth)
			ctx := context.Background()
			five := getpaid.MustParseMoney("5.00", "PLN")
			done := make(chan struct{})
			if tc.held {
				go func() {
					defer close(done)
					_, _ = e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &five, IdempotencyKey: "cap-held"})
				}()
				<-held.entered
			} else {
				close(done)
				if err := e.dummy.SetFault(dummy.FaultTimeoutAfter); err != nil {
					t.Fatal(err)
				}
				if _, err := e.eng.Capture(ctx, getpaid.ActionRequest{PaymentID: p.ID, Amount: &five, IdempotencyKey: "cap-doubt"}); err == nil {
					t.Fatal("the capture went through")
				}
				if err := e.dummy.SetFault(""); err != nil {
					t.Fatal(err)
				}
			}
			ops := mustOps(t, e, p.ID)
			if len(ops) != 1 || ops[0].State != tc.state {
				t.Fatalf("operations %+v: want the capture %s", ops, tc.state)
			}
			b := e.browser()
			b.mustLogin()
			b.do("GET", "/admin/payments/"+p.ID, nil)
			page := html.UnescapeString(b.last)
			for _, name := range []string{"capture", "release"} {
				button := regexp.MustCompile(`<button type="submit" id="` + name + `-button"[^>]*>`).FindString(page)
				if button == "" || !strings.Contains(button, " disabled") {
					t.Errorf("the %s button %q is not disabled:\n%s", name, button, page)
				}
			}
			line := regexp.MustCompile(`(?s)<p class="waiting" id="in-flight">(.*?)</p>`).FindStringSubmatch(page)
			if line == nil || !strings.Contains(line[1], "capture "+ops[0].ID) || !strings.Contains(line[1], tc.want) {
				t.Errorf("no line naming the capture in flight (%s):\n%s", tc.want, page)
			}
			release()
			<-done
			b.do("GET", "/admin/payments/"+p.ID, nil)
			if tc.held && (strings.Contains(b.last, "in-flight") || strings.Contains(b.last, " disabled")) {
				t.Errorf("once the capture has ended the page still holds the actions back:\n%s", b.last)
			}
		})
	}
}
