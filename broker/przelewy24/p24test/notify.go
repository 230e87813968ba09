package p24test

import (
	"net/http"

	"github.com/getpaid-go/getpaid/internal/simkit"
)

// deliverLocked POSTs body to target in the background on Przelewy24's
// schedule (RetrySchedule, scaled by RetryUnit), at most MaxAttempts times.
// A transaction notification (until != nil) is sent again until the
// transaction is verified, even after an answer of 200, as Przelewy24 does;
// others stop at the first 200. s.mu is held.
func (s *Server) deliverLocked(kind, sessionID, target string, body []byte, until <-chan struct{}) {
	m := simkit.Message{URL: target, Body: body, Header: http.Header{"Content-Type": {"application/json"}}, Until: until}
	if until != nil {
		m.Acked = func(simkit.Attempt) bool { return false } // only verifying ends it
	}
	s.notify.Send(m, func(a simkit.Attempt) Delivery {
		return Delivery{Kind: kind, SessionID: sessionID, URL: target, Attempt: a.N, Status: a.Code, Err: a.Err, Body: body, At: a.At}
	})
}
