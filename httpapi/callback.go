package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/getpaid-go/getpaid"
)

// callback receives a broker notification: raw body, resolved client IP, and
// the broker's expected acknowledgement on success. Repeats and late events
// are acknowledged (200) so the broker stops resending; refused ones get 4xx,
// and failures worth retrying (store down, confirmation failed) 5xx.
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	backend := r.PathValue("backend")
	start := time.Now()
	var res *getpaid.CallbackResult
	var err error
	defer func() { h.reportCallback(r, backend, start, res, err) }()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		h.writeError(w, r, fmt.Errorf("%w: reading body: %v", getpaid.ErrMalformedCallback, err), "")
		return
	}
	res, err = h.svc.HandleCallback(r.Context(), backend, &getpaid.CallbackRequest{
		Method: r.Method, Header: r.Header, Query: r.URL.Query(), Body: body, RemoteIP: h.ClientIP(r),
	})
	if err != nil {
		var be *getpaid.BrokerError
		if errors.As(err, &be) {
			// A confirmation call failed: nothing was applied; the broker must retry.
			h.writeError(w, r, &getpaid.BrokerError{Op: be.Op, Retryable: true, Status: be.Status, Err: be.Err}, "")
			return
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
	msg := map[getpaid.Outcome]string{
		getpaid.OutcomeApplied: "ok", getpaid.OutcomeNoChange: "already processed",
		getpaid.OutcomeDuplicate: "already processed", getpaid.OutcomeUnknown: "unknown payment, ignored",
	}[res.Outcome]
	writeJSON(w, http.StatusOK, map[string]string{"status": msg})
}
