package p24test

import (
	"bytes"
	"context"
	"net/http"
	"time"
)

// deliverLocked POSTs body to target in the background on Przelewy24's
// schedule (RetrySchedule, scaled by RetryUnit), at most MaxAttempts times.
// A transaction notification (until != nil) is sent again until the
// transaction is verified, even after an answer of 200, as Przelewy24 does;
// others stop at the first 200. s.mu is held.
func (s *Server) deliverLocked(kind, sessionID, target string, body []byte, until <-chan struct{}) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for attempt := 1; attempt <= s.cfg.MaxAttempts; attempt++ {
			if attempt > 1 && !s.wait(context.Background(), s.cfg.RetryUnit*time.Duration(RetrySchedule[attempt-2]), until) {
				return
			}
			d := Delivery{Kind: kind, SessionID: sessionID, URL: target, Attempt: attempt, Body: body, At: s.now()}
			d.Status, d.Err = s.post(target, body)
			s.mu.Lock()
			s.log = append(s.log, d)
			s.mu.Unlock()
			if until == nil && d.Status == http.StatusOK {
				return
			}
			if until != nil && closed(until) {
				return
			}
		}
	}()
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (s *Server) post(target string, body []byte) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.NotifyTimeout)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	resp.Body.Close()
	return resp.StatusCode, ""
}
