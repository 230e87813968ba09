package getpaid

import (
	"crypto/rand"
	"encoding/base32"
	"maps"
	"strings"
	"time"
)

// Buyer is who pays, as far as a broker needs to know.
type Buyer struct {
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Language  string `json:"language,omitempty"` // ISO 639-1, e.g. "pl"
}

// Payment is one attempt to pay one order through one backend. Its money facts
// are integer minor units of Amount's currency and keep these invariants:
// 0 <= Refunded <= Captured <= Amount and Locked <= Amount - Captured.
// Status follows from them and from the broker's events; it is only ever
// changed by Apply (through Store.UpdatePayment).
type Payment struct {
	ID          string
	OrderID     string
	Backend     string
	Status      Status
	Amount      Money // required amount
	Locked      int64 // funds held by a pre-authorisation, not yet captured
	Captured    int64 // cumulative amount captured (paid)
	Refunded    int64 // cumulative amount refunded
	RefundAsked int64 // refund requested and pending at the broker
	// Advance is money the broker holds for the payment that does not match
	// it (a Przelewy24 notification for another amount): never counted as
	// paid, and never confirmed with the broker, until an operator accepts it.
	Advance int64
	// ActiveOp is the id of the capture, release or cancel being asked of
	// the broker: until it ends (or an operator resolves it) no other of
	// those is sent, so a capture racing a release cannot both happen.
	ActiveOp    string
	ExternalID  string
	Description string
	Buyer       Buyer
	ReturnURL   string // the order's page: where returns land
	ClientIP    string
	Redirect    *Redirect // how the buyer was sent to the broker, once prepared
	Fraud       FraudStatus
	// CreateKey is the idempotency key the payment was created with
	// (PayRequest.IdempotencyKey), if any: unique among payments, it never
	// changes.
	CreateKey string
	Version   int64 // bumped by every persisted change
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Money returns an amount in minor units in the payment's currency.
func (p *Payment) Money(minor int64) Money { return Money{Minor: minor, Currency: p.Amount.Currency} }

// Clone returns a deep copy of p: stores hand out and keep copies, never
// the caller's value.
func (p *Payment) Clone() *Payment {
	c := *p
	if p.Redirect != nil {
		r := *p.Redirect
		r.Fields = maps.Clone(p.Redirect.Fields)
		c.Redirect = &r
	}
	return &c
}

// Live reports whether the payment still counts against its order: anything
// but failed and cancelled.
func (p *Payment) Live() bool { return p.Status != StatusFailed && p.Status != StatusCancelled }

// Redirect tells how to send the buyer to the broker: a GET to URL, or an
// auto-submitted POST form of Fields to URL.
type Redirect struct {
	Method string            `json:"method"` // "GET" or "POST"
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

// Transition is one row of a payment's status history.
type Transition struct {
	From  Status    `json:"from"`
	To    Status    `json:"to"`
	At    time.Time `json:"at"`
	Cause string    `json:"cause"`
}

// FraudStatus is the result of the broker's fraud check, a small machine of its own.
type FraudStatus string

// Fraud statuses. Unknown -> Check (review pending) -> Accepted | Rejected;
// Unknown may go straight to Accepted or Rejected.
const (
	FraudUnknown  FraudStatus = ""
	FraudCheck    FraudStatus = "check"
	FraudAccepted FraudStatus = "accepted"
	FraudRejected FraudStatus = "rejected"
)

// SetFraud moves the fraud status, refusing what the small machine forbids.
func (p *Payment) SetFraud(to FraudStatus) error {
	ok := false
	switch p.Fraud {
	case FraudUnknown:
		ok = to == FraudCheck || to == FraudAccepted || to == FraudRejected
	case FraudCheck:
		ok = to == FraudAccepted || to == FraudRejected
	}
	if !ok {
		return &TransitionError{From: Status("fraud:" + string(p.Fraud)), To: Status("fraud:" + string(to))}
	}
	p.Fraud = to
	return nil
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a new identifier with a prefix ("pay_..."), 26 characters of
// Crockford-style base32 after it: 48 bits of the time in milliseconds, then
// 80 random bits (a ULID's bits, not its text). It is safe to show to buyers
// and brokers: the random part cannot be guessed, and the time part says no
// more than when the payment was made. The time comes first so that
// identifiers made close in time sort close together: every index keyed by a
// payment's id then takes its new entries in a few pages instead of one page
// each, which is most of what a store writes per change.
func NewID(prefix string) string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return prefix + "_" + strings.ToLower(idEncoding.EncodeToString(b[:]))
}
