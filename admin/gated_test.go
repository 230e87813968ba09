package admin_test

import (
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/broker/dummy"
)

// refundsGated is the dummy broker configured so that it cannot refund
// (getpaid.OperationGate), as Dotpay without its seller API credentials.
type refundsGated struct{ *dummy.Broker }

func (refundsGated) Unable(kind getpaid.OperationKind) string {
	if kind == getpaid.OpRefund {
		return "set the credentials"
	}
	return ""
}

// TestNoRefundOfferedWhenTheBrokerCannotAsConfigured: a broker that has the
// refund method but not the settings it needs (Dotpay without api_username
// and api_password) has every refund refused by the engine, 422
// not_supported; its payments' pages offered a Refund form anyway, and its
// backend's page listed "refund" among what it can do.
func TestNoRefundOfferedWhenTheBrokerCannotAsConfigured(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, nil, false, func(d *dummy.Broker) getpaid.Broker { return refundsGated{d} })
	p := e.pay("o-gated-1", "20.00", "paid", getpaid.StatusPaid)
	b := e.browser()
	b.mustLogin()
	b.do("GET", "/admin/payments/"+p.ID, nil)
	if strings.Contains(b.last, `id="action-refund"`) {
		t.Error("the page of a payment its broker cannot refund as configured offers a refund, which the engine refuses")
	}
	if !strings.Contains(b.last, `id="action-poll"`) {
		t.Errorf("the page lost the actions the broker can do:\n%s", b.last)
	}
	b.do("GET", "/admin/backends", nil)
	if !strings.Contains(b.last, "take payments, capture") || strings.Contains(b.last, ", refund") {
		t.Errorf("the backends page does not list what the broker can do as configured (capture, not refund):\n%s", b.last)
	}
}
