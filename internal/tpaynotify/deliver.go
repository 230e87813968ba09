package tpaynotify

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Ack is the body Tpay requires in answer to a notification; anything else
// makes it send the notification again.
const Ack = "TRUE"

// Delivery is one attempt to deliver a notification.
type Delivery struct {
	TrID    string // the transaction's title
	Status  string // tr_status
	URL     string
	Attempt int    // 1-based
	Code    int    // HTTP status answered, 0 on a transport error
	Answer  string // the answer's body, trimmed
	Err     string // transport error
	At      time.Time
}

// Acked reports whether the receiver acknowledged the notification the way
// Tpay requires: HTTP 200 and the body TRUE.
func (d Delivery) Acked() bool { return d.Code == http.StatusOK && d.Answer == Ack }

// Sender posts notifications the way Tpay does, for the simulators: form
// encoded, in the background, again and again with a growing pause until the
// receiver answers TRUE or the attempts run out. Notifications of one
// transaction go out in order. The zero value is not usable; use NewSender.
type Sender struct {
	Backoff    time.Duration // first pause between attempts, doubled up to MaxBackoff
	MaxBackoff time.Duration
	Attempts   int // attempts per notification
	Client     *http.Client

	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup
	mu    sync.Mutex
	log   []Delivery
	tails map[string]chan struct{} // per transaction: closed when its last notification is done
}

// NewSender returns a sender; zero arguments get defaults (50 ms, 2 s, 8
// attempts, a client with a 10 s timeout).
func NewSender(backoff, maxBackoff time.Duration, attempts int, client *http.Client) *Sender {
	if backoff <= 0 {
		backoff = 50 * time.Millisecond
	}
	if maxBackoff < backoff {
		maxBackoff = max(2*time.Second, backoff)
	}
	if attempts <= 0 {
		attempts = 8
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Sender{Backoff: backoff, MaxBackoff: maxBackoff, Attempts: attempts, Client: client,
		ctx: ctx, stop: stop, tails: map[string]chan struct{}{}}
}

// Send queues body for target, after the transaction's earlier
// notifications; header is added to every attempt (the JWS signature).
func (s *Sender) Send(trID, status, target string, body []byte, header http.Header) {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	prev, done := s.tails[trID], make(chan struct{})
	s.tails[trID] = done
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer close(done)
		if prev != nil {
			select {
			case <-prev:
			case <-s.ctx.Done():
				return
			}
		}
		s.deliver(trID, status, target, body, header)
	}()
}

func (s *Sender) deliver(trID, status, target string, body []byte, header http.Header) {
	wait := s.Backoff
	for attempt := 1; attempt <= s.Attempts; attempt++ {
		d := Delivery{TrID: trID, Status: status, URL: target, Attempt: attempt}
		req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, target, bytes.NewReader(body))
		if err == nil {
			req.Header = header.Clone()
			if req.Header == nil {
				req.Header = http.Header{}
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			var resp *http.Response
			if resp, err = s.Client.Do(req); err == nil {
				d.Code = resp.StatusCode
				answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
				resp.Body.Close()
				d.Answer = strings.TrimSpace(string(answer))
			}
		}
		if err != nil {
			d.Err = err.Error()
		}
		d.At = time.Now()
		s.mu.Lock()
		s.log = append(s.log, d)
		s.mu.Unlock()
		if d.Acked() {
			return
		}
		select {
		case <-time.After(wait):
		case <-s.ctx.Done():
			return
		}
		wait = min(2*wait, s.MaxBackoff)
	}
}

// Log returns the delivery attempts so far, oldest first.
func (s *Sender) Log() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.log...)
}

// Quiet waits until every queued notification was acknowledged or given up,
// or ctx ends.
func (s *Sender) Quiet(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops every delivery and waits for them to end.
func (s *Sender) Close() {
	s.mu.Lock()
	s.stop()
	s.mu.Unlock()
	s.wg.Wait()
}
