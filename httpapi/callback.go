package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/getpaid-go/getpaid"
)

// callback receives a broker notification: raw body, resolved client IP, and
// the broker's expected acknowledgement on success. Repeats and late events
// are acknowledged (200) so the broker stops resending; refused ones get 4xx,
// and failures worth retrying (store down, confirmation failed) 5xx.
//
// Anyone can post here, so it stays cheap: an address whose callbacks keep
// being refused (unless a broker's own: see callbackRefused) gets 429
// without its body being read; an unknown backend is
// refused before the body is read; the body is capped by the backend's size
// (see Limits) and read through the shared budget.
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("backend")
	start := time.Now()
	var res *getpaid.CallbackResult
	var err error
	defer func() { h.reportCallback(r, name, start, res, err) }()
	ip := h.ClientIP(r)
	if blocked, until := h.cbFails.Blocked(ip); blocked {
		dropBody(w, r)
		err = &retryError{err: errRateLimited, after: until}
		h.writeError(w, r, err, "")
		return
	}
	b, ok := h.svc.Registry().Get(name)
	if !ok {
		err = fmt.Errorf("%w %q", getpaid.ErrUnknownBackend, name)
		dropBody(w, r)
		h.callbackRefused(r.Context(), ip, name, err)
		h.writeError(w, r, err, "")
		return
	}
	body, rerr := h.readBody(w, r, h.callbackCap(b))
	if rerr != nil {
		err = fmt.Errorf("callback %s: %w", name, rerr)
		h.writeError(w, r, err, "")
		return
	}
	defer body.Release()
	// Callbacks sent at once all passed the check above before any was
	// refused; one whose address reached its limit while its body arrived
	// is refused unverified, as one sent after.
	if blocked, until := h.cbFails.Blocked(ip); blocked {
		err = &retryError{err: errRateLimited, after: until}
		h.writeError(w, r, err, "")
		return
	}
	res, err = h.svc.HandleCallback(r.Context(), name, &getpaid.CallbackRequest{
		Method: r.Method, Header: r.Header, Query: r.URL.Query(), Body: body.Bytes, RemoteIP: ip,
	})
	if err != nil {
		var be *getpaid.BrokerError
		if errors.As(err, &be) {
			// A confirmation call failed: nothing was applied; the broker must retry.
			h.writeError(w, r, &getpaid.BrokerError{Op: be.Op, Retryable: true, Status: be.Status, Err: be.Err}, "")
			return
		}
		if refusedCallback(err) {
			h.callbackRefused(r.Context(), ip, name, err)
		}
		h.writeError(w, r, err, "")
		return
	}
	w.Header().Set("X-Getpaid-Outcome", string(res.Outcome))
	if res.AckBody != nil {
		ct := res.AckType
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.AckBody)
		return
	}
	// {"status": msg} as writeJSON writes a one-key map, without building
	// and sorting one.
	writeJSON(w, http.StatusOK, callbackAnswer{Status: outcomeMessages[res.Outcome]})
}

// callbackRefused records a refused callback from ip against its address,
// unless an enabled backend's broker sends its notifications from there
// (getpaid.NotificationSourcer): such refusals are logged alike but never
// get the address answered 429. The broker's servers deliver to whatever
// URL a transaction names, so anyone with an account at the broker can
// have them send refused callbacks here, to any route (brokers share
// addresses: Przelewy24's and Dotpay's), and blocking the address would
// hold back the broker's genuine notifications.
func (h *Handler) callbackRefused(ctx context.Context, ip, name string, err error) {
	f, what := h.cbFails, "callback refused"
	for _, b := range h.svc.Registry().All() {
		if s, ok := b.Broker.(getpaid.NotificationSourcer); ok && s.IsNotificationSource(ip) {
			f, what = h.cbBroker, "callback refused from a broker's notification address (never blocked)"
			break
		}
	}
	h.refusal(ctx, f, what, ip, "backend", name, "err", err)
}

// callbackAnswer is the JSON answer of an applied (or acknowledged) callback
// of a backend without its own acknowledgement.
type callbackAnswer struct {
	Status string `json:"status"`
}

// outcomeMessages say what a callback's outcome was, in its answer.
var outcomeMessages = map[getpaid.Outcome]string{
	getpaid.OutcomeApplied: "ok", getpaid.OutcomeNoChange: "already processed",
	getpaid.OutcomeDuplicate: "already processed", getpaid.OutcomeUnknown: "unknown payment, ignored",
	getpaid.OutcomeSecondTransaction: "another transaction of the payment: not counted",
}

// refusedCallback tells the refusals that count against the sender's
// address: a callback that is not the broker's (bad signature, wrong
// source, another backend's payment) or that cannot be read. A signed
// callback getpaid cannot apply (a wrong amount) and a server-side failure
// do not count, nor do refusals for size or load, which cost nothing.
func refusedCallback(err error) bool {
	for _, e := range []error{getpaid.ErrSignatureInvalid, getpaid.ErrSourceNotAllowed, getpaid.ErrBackendMismatch,
		getpaid.ErrMalformedCallback, getpaid.ErrUnknownBackend} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
