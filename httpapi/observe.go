package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/getpaid-go/getpaid"
)

// reportCallback tells Config.OnCallback what became of one callback
// request: its outcome, or the stable code of why it was refused (the code
// its error answer carries).
func (h *Handler) reportCallback(r *http.Request, backend string, start time.Time, res *getpaid.CallbackResult, err error) {
	if h.onCallback == nil {
		return
	}
	rep := getpaid.CallbackReport{Backend: backend, ClientIP: h.ClientIP(r), At: start, Duration: time.Since(start), Status: http.StatusOK}
	switch {
	case err != nil:
		var be *getpaid.BrokerError
		if errors.As(err, &be) {
			rep.Status, rep.Reason = http.StatusServiceUnavailable, "broker_unavailable"
		} else {
			status, e := classifyFor(r, err)
			rep.Status, rep.Reason = status, e.Code
		}
	case res != nil:
		rep.Outcome = res.Outcome
		if res.Payment != nil {
			rep.PaymentID = res.Payment.ID
		} else if res.Observation != nil {
			rep.PaymentID = res.Observation.PaymentID
		}
	}
	h.onCallback(r.Context(), rep)
}

// RequireAPIKey serves next only to requests bearing one of the API keys
// (Authorization: Bearer KEY), as the payments API does; others get 401.
// cmd/getpaid puts /metrics behind it on the main listener.
func (h *Handler) RequireAPIKey(next http.Handler) http.Handler { return h.auth(next.ServeHTTP) }

// CallbackHook receives a report of every callback request.
type CallbackHook func(ctx context.Context, rep getpaid.CallbackReport)
