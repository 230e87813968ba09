package brokerhttp

import (
	"context"
	"sync"
	"time"

	"github.com/getpaid-go/getpaid"
)

// FetchFunc asks the broker for a new access token and says how long it may
// be used (its lifetime less the backend's refresh margin). Its errors are
// *getpaid.BrokerError, classified by the backend.
type FetchFunc func(ctx context.Context) (token string, valid time.Duration, err error)

// MaxTokenLife bounds how long an access token is used, whatever
// expires_in the broker answered (PayU's tokens live 12 hours, Tpay's 2): a
// token is not kept for years on one answer's word.
const MaxTokenLife = 24 * time.Hour

// TokenLife is an OAuth expires_in (seconds) as a duration: 0 for none or
// a negative one, at most MaxTokenLife. Multiplied as it came, a huge one
// overflowed time.Duration, wrapping to a fraction of a second or to
// centuries.
func TokenLife(expiresIn int64) time.Duration {
	switch {
	case expiresIn <= 0:
		return 0
	case expiresIn >= int64(MaxTokenLife/time.Second):
		return MaxTokenLife
	}
	return time.Duration(expiresIn) * time.Second
}

// Tokens caches one OAuth access token, for at most MaxTokenLife. Callers needing a new one while a
// fetch runs wait for that fetch: one request for any number of callers
// (single-flight). A failed fetch is shared with the callers that waited
// for it, so a broker that is down is not asked once per caller; a fetch
// that ended because its own caller's context did is not shared, and the
// next caller fetches again. Tokens is safe for concurrent use.
type Tokens struct {
	op    string
	now   func() time.Time
	fetch FetchFunc

	mu       sync.Mutex
	token    string
	renewAt  time.Time
	inflight chan struct{} // closed when the running fetch ends
	lastErr  error
	gaveUp   bool // the last fetch ended because its caller's context did
}

// NewTokens returns an empty cache that fetches with fetch and reads the
// clock with now (nil: time.Now). op names the operation in the error of a
// caller whose context ends while it waits ("payu: oauth").
func NewTokens(op string, now func() time.Time, fetch FetchFunc) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{op: op, now: now, fetch: fetch}
}

// Token returns a valid access token, fetching one if needed.
func (c *Tokens) Token(ctx context.Context) (string, error) {
	for {
		c.mu.Lock()
		if c.validLocked() {
			t := c.token
			c.mu.Unlock()
			return t, nil
		}
		if ch := c.inflight; ch != nil {
			c.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return "", &getpaid.BrokerError{Op: c.op, Retryable: true, Err: ctx.Err()}
			}
			c.mu.Lock()
			err, gaveUp, ok := c.lastErr, c.gaveUp, c.validLocked()
			c.mu.Unlock()
			if !ok && err != nil && !gaveUp {
				return "", err // share the failure: no stampede on a broker that is down
			}
			continue // a token, or the fetching caller gave up: try again for this one
		}
		ch := make(chan struct{})
		c.inflight = ch
		c.mu.Unlock()
		tok, valid, err := c.fetch(ctx)
		c.mu.Lock()
		c.inflight, c.lastErr, c.gaveUp = nil, err, err != nil && ctx.Err() != nil
		if err == nil {
			c.token, c.renewAt = tok, c.now().Add(min(valid, MaxTokenLife))
		}
		c.mu.Unlock()
		close(ch)
		if err != nil {
			return "", err
		}
		return tok, nil
	}
}

// validLocked reports whether the cached token may still be used; c.mu is held.
func (c *Tokens) validLocked() bool { return c.token != "" && c.now().Before(c.renewAt) }

// Invalidate forgets tok if it is still the cached token (the broker
// refused it: a 401), so the next caller fetches a new one.
func (c *Tokens) Invalidate(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}
