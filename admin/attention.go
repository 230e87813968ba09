package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getpaid-go/getpaid"
)

// attentionLimit bounds each list of the attention page: an operator works
// through the oldest first, and a flood is better read in the API's pages.
const attentionLimit = 100

// advanceScan bounds how many charge_started payments the attention page
// reads to find those holding an advance (the store has no filter on it):
// payments waiting for their buyer are charge_started too, and expire.
const advanceScan = 4 * getpaid.MaxPageSize

// attentionPage is what waits for an operator across all payments: money
// operations in doubt or flagged, advances to accept or reject, event
// deliveries that are dead, and consumers this process pauses.
type attentionPage struct {
	basePage
	Operations   []*getpaid.Operation
	Advances     []*getpaid.Payment
	Dead         []*getpaid.Delivery
	Paused       []getpaid.ConsumerPause
	CanPause     bool // the service says which consumers it pauses
	MoreOps      bool
	MoreAdvances bool
	MoreDead     bool
}

// showAttention lists the operations in doubt (state unknown) or flagged,
// the payments holding an advance and the dead deliveries (the newest
// attentionLimit, listed oldest first), each linking to its payment, where it is resolved, decided or delivered again.
func (c *Console) showAttention(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	data := &attentionPage{basePage: c.pageBase(s, "Needs attention", "attention")}
	seen := map[string]bool{}
	for _, f := range []getpaid.OperationFilter{{FlaggedOnly: true, Limit: attentionLimit}, {State: getpaid.OpUnknown, Limit: attentionLimit}} {
		page, err := c.svc.Operations(ctx, f)
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		data.MoreOps = data.MoreOps || page.NextCursor != ""
		for _, op := range page.Operations {
			if !seen[op.ID] {
				seen[op.ID] = true
				data.Operations = append(data.Operations, op)
			}
		}
	}
	slices.SortStableFunc(data.Operations, func(a, b *getpaid.Operation) int { return b.CreatedAt.Compare(a.CreatedAt) })
	var err error
	if data.Advances, data.MoreAdvances, err = c.advances(r); err != nil {
		c.fail(w, r, s, err)
		return
	}
	dead, err := c.svc.Deliveries(ctx, getpaid.DeliveryFilter{State: getpaid.DeliveryDead, Limit: attentionLimit})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	// The store lists the newest first; a payment's dead deliveries are
	// delivered again oldest first (one by one, they reach the endpoint in
	// the order of the replays), so the page lists them in that order.
	data.Dead, data.MoreDead = dead.Deliveries, dead.NextCursor != ""
	slices.Reverse(data.Dead)
	if c.pauses != nil {
		data.Paused, data.CanPause = c.pauses.Paused(), true
	}
	c.render(w, r, http.StatusOK, "attention", data)
}

// advances lists the payments holding an advance (money the broker keeps
// that does not match the payment, for an operator to accept or reject),
// newest first, among the newest advanceScan charge_started payments; more
// says some may be missing.
func (c *Console) advances(r *http.Request) (out []*getpaid.Payment, more bool, err error) {
	f := getpaid.PaymentFilter{Status: getpaid.StatusChargeStarted, Limit: getpaid.MaxPageSize}
	for read := 0; read < advanceScan; read += getpaid.MaxPageSize {
		page, err := c.svc.Payments(r.Context(), f)
		if err != nil {
			return nil, false, err
		}
		for _, p := range page.Payments {
			if p.Advance > 0 {
				if len(out) == attentionLimit {
					return out, true, nil
				}
				out = append(out, p)
			}
		}
		if page.NextCursor == "" {
			return out, false, nil
		}
		f.Cursor = page.NextCursor
	}
	return out, true, nil
}

// replayDelivery delivers one of a payment's events again to one consumer
// (a dead delivery, or one the consumer says it lost), through the service
// as the JSON API's replay does, and shows the payment again.
func (c *Console) replayDelivery(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id, consumer := r.PathValue("id"), r.PostFormValue("consumer")
	ev, err := c.svc.Event(ctx, r.PostFormValue("event"))
	if err == nil && ev.PaymentID != id {
		err = &getpaid.FieldError{Field: "event", Reason: "no such event of this payment", Err: getpaid.ErrNotFound}
	}
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	kv := []any{"payment", id, "event", ev.ID, "consumer", getpaid.ShownConsumer(consumer)}
	n, err := c.svc.Replay(ctx, getpaid.ReplayRequest{EventID: ev.ID, Consumer: consumer})
	if err != nil {
		c.audit(r, s.user, "replay", "refused", append(kv, "err", err.Error())...)
		c.render(w, r, statusOf(err), "message", &messagePage{basePage: c.pageBase(s, "Not delivered again", "payments"), Message: reason(err)})
		return
	}
	c.audit(r, s.user, "replay", "ok", append(kv, "replayed", n)...)
	v := url.Values{"done": {"replay"}, "n": {strconv.Itoa(n)}}
	v.Set("sig", replaySig(s, id, v.Get("n")))
	http.Redirect(w, r, c.prefix+"/payments/"+url.PathEscape(id)+"?"+v.Encode(), http.StatusSeeOther)
}

// sendNow sends a paused consumer what waits for it now, and lifts this
// process's pause (the JSON API's retry_waiting): for an endpoint whose 410
// Gone was a mistake once it works again, when none of its deliveries is
// dead to deliver again (`getpaid events replay --dead`, in its own
// process, made them pending and could not lift the pause).
func (c *Console) sendNow(w http.ResponseWriter, r *http.Request, s *session) {
	consumer := r.PostFormValue("consumer")
	kv := []any{"consumer", getpaid.ShownConsumer(consumer)}
	n, err := c.svc.Replay(r.Context(), getpaid.ReplayRequest{Waiting: true, Consumer: consumer})
	if err != nil {
		c.audit(r, s.user, "send_now", "refused", append(kv, "err", err.Error())...)
		c.render(w, r, statusOf(err), "message", &messagePage{basePage: c.pageBase(s, "Not sent", "attention"), Message: reason(err)})
		return
	}
	c.audit(r, s.user, "send_now", "ok", append(kv, "replayed", n)...)
	http.Redirect(w, r, c.prefix+"/attention", http.StatusSeeOther)
}

// replaySig signs the count of a replay's notice with the session's CSRF
// secret: the count is known only to the request that replayed, and
// anyone can link to the payment's page with done=replay&n=999.
func replaySig(s *session, paymentID, n string) string {
	m := hmac.New(sha256.New, []byte(s.csrf))
	m.Write([]byte("replay\x00" + paymentID + "\x00" + n))
	return hex.EncodeToString(m.Sum(nil))
}

// replayDone is the notice shown after a replay: none unless the link is
// the console's own redirect in this session (its signature matches), so
// a crafted link shows no made-up count, nor a replay that never was.
func replayDone(q url.Values, s *session, paymentID string) string {
	n := q.Get("n")
	if !hmac.Equal([]byte(q.Get("sig")), []byte(replaySig(s, paymentID, n))) {
		return ""
	}
	switch n {
	case "0":
		return "Nothing to deliver again: the delivery is pending already."
	case "1":
		return "The event is delivered again (one delivery made due now)."
	default:
		if _, err := strconv.Atoi(n); err != nil || strings.HasPrefix(n, "-") {
			return "The event is delivered again."
		}
		return "The event is delivered again (" + n + " deliveries made due now)."
	}
}
