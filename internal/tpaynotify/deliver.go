package tpaynotify

import (
	"net/http"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid/internal/simkit"
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
	n *simkit.Notifier[Delivery]
}

// NewSender returns a sender whose deliveries run in life; zero arguments
// get defaults (50 ms, 2 s, 8 attempts, a client with a 10 s timeout).
func NewSender(life *simkit.Life, backoff, maxBackoff time.Duration, attempts int, client *http.Client) *Sender {
	if backoff <= 0 {
		backoff = 50 * time.Millisecond
	}
	if maxBackoff < backoff {
		maxBackoff = max(2*time.Second, backoff)
	}
	return &Sender{n: simkit.NewNotifier[Delivery](life, simkit.NotifierConfig{Client: client, Attempts: attempts,
		Pause: simkit.Doubling(backoff, maxBackoff), AnswerBytes: 1024})}
}

// Send queues body for target, after the transaction's earlier
// notifications; header is added to every attempt (the JWS signature).
func (s *Sender) Send(trID, status, target string, body []byte, header http.Header) {
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	m := simkit.Message{Key: trID, URL: target, Body: body, Header: h,
		Acked: func(a simkit.Attempt) bool { return a.Code == http.StatusOK && strings.TrimSpace(a.Answer) == Ack }}
	s.n.Send(m, func(a simkit.Attempt) Delivery {
		return Delivery{TrID: trID, Status: status, URL: target, Attempt: a.N, Code: a.Code,
			Answer: strings.TrimSpace(a.Answer), Err: a.Err, At: a.At}
	})
}

// Log returns the delivery attempts so far, oldest first.
func (s *Sender) Log() []Delivery { return s.n.Log() }
