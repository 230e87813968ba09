package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// advancing is the dummy broker that reports what the buyer paid as an
// advance of amount (money the broker holds that does not match the
// payment), as Przelewy24 does when a buyer pays another amount; with no
// amount, it reports the payment as pending (started, nothing paid).
type advancing struct {
	*dummy.Broker
	amount string
}

func (a *advancing) ParseCallback(ctx context.Context, req *getpaid.CallbackRequest) (*getpaid.Observation, error) {
	o, err := a.Broker.ParseCallback(ctx, req)
	if err != nil || o.Kind != getpaid.KindCaptured {
		return o, err
	}
	if a.amount == "" {
		o.Kind, o.EventID = getpaid.KindPending, "pending:"+o.EventID
		return o, nil
	}
	o.Kind, o.Amount, o.EventID = getpaid.KindAdvance, getpaid.MustParseMoney(a.amount, o.Amount.Currency), "advance:"+o.EventID
	return o, nil
}

// FetchStatus reports what ParseCallback does: the broker's word is the
// same whichever way getpaid hears it (a reject asks it first).
func (a *advancing) FetchStatus(ctx context.Context, req *getpaid.StatusRequest) (*getpaid.Observation, error) {
	o, err := a.Broker.FetchStatus(ctx, req)
	if err != nil || o.Kind != getpaid.KindCaptured || a.amount == "" {
		return o, err
	}
	o.Kind, o.Amount, o.Full, o.EventID = getpaid.KindAdvance, getpaid.MustParseMoney(a.amount, o.Amount.Currency), false, "advance:"+o.EventID
	return o, nil
}

// TestAdvanceThroughTheConsole accepts and rejects an advance from the
// payment's page; an advance larger than the payment cannot be accepted,
// and the operator is told why.
func TestAdvanceThroughTheConsole(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, advance, action string
		status                int
		want                  getpaid.Status
		says                  string
	}{
		{"accept", "6.00", "accept_advance", http.StatusSeeOther, getpaid.StatusPartiallyPaid, "Advance accepted"},
		{"reject", "6.00", "reject_advance", http.StatusSeeOther, getpaid.StatusFailed, "Advance rejected"},
		{"accept more than the payment", "12.00", "accept_advance", http.StatusUnprocessableEntity, getpaid.StatusChargeStarted, "12.00 PLN is more than the payment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, nil, false, func(d *dummy.Broker) getpaid.Broker { return &advancing{Broker: d, amount: tc.advance} })
			p := e.pay("o-advance", "10.00", "paid", getpaid.StatusChargeStarted)
			b := e.browser()
			b.mustLogin()
			b.do("GET", "/admin/payments/"+p.ID, nil)
			for _, want := range []string{tc.advance + " PLN", `id="accept_advance-button"`, `id="reject_advance-button"`} {
				if !strings.Contains(b.last, want) {
					t.Fatalf("payment page with an advance lacks %q:\n%s", want, b.last)
				}
			}
			b.do("POST", "/admin/payments/"+p.ID+"/confirm", url.Values{"csrf": {b.csrf()}, "action": {tc.action}})
			m := keyField.FindStringSubmatch(b.last)
			if m == nil {
				t.Fatalf("no confirmation form:\n%s", b.last)
			}
			// The confirmation names the money decided on.
			if !strings.Contains(b.last, tc.advance+" PLN advance held") {
				t.Errorf("the confirmation of %s does not name the advance of %s PLN:\n%s", tc.action, tc.advance, b.last)
			}
			resp := b.do("POST", "/admin/payments/"+p.ID+"/do", url.Values{"csrf": {b.csrf()}, "action": {tc.action}, "key": {m[1]}})
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: %d, want %d\n%s", tc.action, resp.StatusCode, tc.status, b.last)
			}
			if resp.StatusCode == http.StatusSeeOther {
				b.do("GET", resp.Header.Get("Location"), nil)
			}
			if !strings.Contains(b.last, tc.says) {
				t.Errorf("the page after %s does not say %q:\n%s", tc.action, tc.says, b.last)
			}
			if q, _ := e.eng.Payment(context.Background(), p.ID); q.Status != tc.want {
				t.Errorf("status after %s: %s, want %s", tc.action, q.Status, tc.want)
			}
			if !strings.Contains(e.audit.String(), `"action":"`+tc.action+`"`) {
				t.Errorf("audit log lacks the %s:\n%s", tc.action, e.audit.String())
			}
		})
	}
}

// An advance waits for an operator's decision (expiry leaves it alone, and
// Przelewy24 returns it to the buyer if nobody accepts it): the "Needs
// attention" page lists every payment holding one, linking to it, and not
// payments merely waiting for their buyer.
func TestAttentionListsAdvances(t *testing.T) {
	t.Parallel()
	a := &advancing{amount: "6.00"}
	e := newEnvWith(t, nil, false, func(d *dummy.Broker) getpaid.Broker { a.Broker = d; return a })
	p := e.pay("o-advance-attn", "10.00", "paid", getpaid.StatusChargeStarted)
	a.amount = ""
	waiting := e.pay("o-waiting-attn", "10.00", "paid", getpaid.StatusChargeStarted)
	b := e.browser()
	b.mustLogin()
	if resp := b.do("GET", "/admin/attention", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("attention: %d", resp.StatusCode)
	}
	i := strings.Index(b.last, `id="advances"`)
	if i < 0 {
		t.Fatalf("the attention page has no list of advances:\n%s", b.last)
	}
	list := b.last[i:]
	list = list[:strings.Index(list, "</table>")]
	if !strings.Contains(list, `/admin/payments/`+p.ID) || !strings.Contains(list, "6.00 PLN") {
		t.Errorf("the advance of %s is not listed:\n%s", p.ID, list)
	}
	if strings.Contains(list, waiting.ID) {
		t.Errorf("a payment without an advance (%s) is listed:\n%s", waiting.ID, list)
	}
}
