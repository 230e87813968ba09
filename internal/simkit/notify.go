package simkit

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid/internal/brokerhttp"
)

// Attempt is one attempt to deliver a notification.
type Attempt struct {
	N      int       // 1-based
	Code   int       // HTTP status answered, 0 on a transport error
	Answer string    // the start of the answer's body (NotifierConfig.AnswerBytes)
	Err    string    // transport error
	At     time.Time // when it was sent
}

// Message is one notification to deliver.
type Message struct {
	// Key orders deliveries: a message waits for the delivery of every
	// earlier message with the same key (a transaction's notifications go
	// out in order). "" waits for none.
	Key    string
	URL    string
	Body   []byte
	Header http.Header // sent with every attempt: the content type, signatures
	// Acked reports whether an attempt was acknowledged, which ends the
	// delivery; nil means an answer of HTTP 200.
	Acked func(Attempt) bool
	// Until, when closed, ends the delivery: no attempt follows, a pause
	// is cut short. Nil never ends it.
	Until <-chan struct{}
}

// NotifierConfig sets how a Notifier delivers.
type NotifierConfig struct {
	Client *http.Client // sends the attempts; nil means a client with a 10 s timeout
	// Attempts bounds the attempts per message; default 8.
	Attempts int
	// Pause is the pause after the n-th attempt (1-based) was not
	// acknowledged; default Doubling(50 ms, 2 s).
	Pause func(n int) time.Duration
	// AnswerBytes is how much of an answer's body Attempt.Answer holds; 0
	// reads none.
	AnswerBytes int64
}

// Notifier posts notifications in the background as a broker does: each
// again and again, pausing on a schedule, until the receiver acknowledges
// it, the attempts run out or the simulator closes. It logs every attempt
// as a D, the simulator's own record of a delivery. It is safe for
// concurrent use; create it with NewNotifier.
type Notifier[D any] struct {
	life *Life
	cfg  NotifierConfig

	mu    sync.Mutex
	log   []D
	tails map[string]chan struct{} // per key: closed when its last message's delivery ends
}

// NewNotifier returns a notifier whose deliveries run in life: Quiet
// waits for them and Close ends them.
func NewNotifier[D any](life *Life, cfg NotifierConfig) *Notifier[D] {
	cfg.Client = brokerhttp.Client(cfg.Client, 0, 10*time.Second)
	if cfg.Attempts <= 0 {
		cfg.Attempts = 8
	}
	if cfg.Pause == nil {
		cfg.Pause = Doubling(50*time.Millisecond, 2*time.Second)
	}
	return &Notifier[D]{life: life, cfg: cfg, tails: map[string]chan struct{}{}}
}

// Doubling is a schedule of pauses: first, then doubled after each attempt
// up to limit.
func Doubling(first, limit time.Duration) func(n int) time.Duration {
	return func(n int) time.Duration {
		d := first
		for i := 1; i < n && d != limit; i++ {
			d = min(2*d, limit)
		}
		return d
	}
}

// Schedule is a schedule of pauses given in units: the pause after the
// n-th attempt is steps[n-1] units (the last step once they run out).
func Schedule(unit time.Duration, steps []int) func(n int) time.Duration {
	return func(n int) time.Duration {
		return unit * time.Duration(steps[min(n, len(steps))-1])
	}
}

// Send delivers m in the background, logging each attempt as record
// makes it. After Close it sends nothing.
func (n *Notifier[D]) Send(m Message, record func(Attempt) D) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var prev chan struct{}
	if m.Key != "" {
		prev = n.tails[m.Key]
	}
	done := make(chan struct{})
	started := n.life.Go(func() {
		defer n.finish(m.Key, done)
		if prev != nil {
			select {
			case <-prev:
			case <-n.life.Context().Done():
				return
			}
		}
		n.deliver(m, record)
	})
	if started && m.Key != "" {
		n.tails[m.Key] = done
	}
}

// finish marks a delivery done, forgetting its key when nothing waits on it.
func (n *Notifier[D]) finish(key string, done chan struct{}) {
	close(done)
	n.mu.Lock()
	if key != "" && n.tails[key] == done {
		delete(n.tails, key)
	}
	n.mu.Unlock()
}

func (n *Notifier[D]) deliver(m Message, record func(Attempt) D) {
	for i := 1; i <= n.cfg.Attempts; i++ {
		a := n.attempt(m, i)
		d := record(a)
		n.mu.Lock()
		n.log = append(n.log, d)
		n.mu.Unlock()
		acked := a.Code == http.StatusOK
		if m.Acked != nil {
			acked = m.Acked(a)
		}
		if acked || closed(m.Until) || i == n.cfg.Attempts || !n.life.Sleep(n.cfg.Pause(i), m.Until) {
			return
		}
	}
}

// attempt posts m once.
func (n *Notifier[D]) attempt(m Message, i int) Attempt {
	a := Attempt{N: i, At: time.Now()}
	req, err := http.NewRequestWithContext(n.life.Context(), http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err == nil {
		req.Header = m.Header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		var resp *http.Response
		if resp, err = n.cfg.Client.Do(req); err == nil {
			a.Code = resp.StatusCode
			if n.cfg.AnswerBytes > 0 {
				answer, _ := io.ReadAll(io.LimitReader(resp.Body, n.cfg.AnswerBytes))
				a.Answer = string(answer)
			}
			resp.Body.Close()
		}
	}
	if err != nil {
		a.Err = err.Error()
	}
	return a
}

// Log returns the attempts so far, oldest first.
func (n *Notifier[D]) Log() []D {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]D(nil), n.log...)
}

// closed reports whether ch (nil: never) is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
