package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
)

// EventJSON is an outbox event with its deliveries, as the API shows it.
type EventJSON struct {
	ID        string            `json:"id"`
	Type      getpaid.EventType `json:"type"`
	PaymentID string            `json:"payment_id"`
	OrderID   string            `json:"order_id"`
	Backend   string            `json:"backend"`
	From      getpaid.Status    `json:"from,omitempty"`
	To        getpaid.Status    `json:"to"`
	Amount    string            `json:"amount"`
	Captured  string            `json:"captured"`
	Refunded  string            `json:"refunded"`
	Currency  string            `json:"currency"`
	At        time.Time         `json:"at"`
	Cause     string            `json:"cause,omitempty"` // why the status changed; absent on payment.created
	// Version is the payment's version this event's change made, as its
	// webhook body's "version": 1 for payment.created, higher for each
	// later change (getpaid.Event.PaymentVersion).
	Version    int64           `json:"version"`
	Deliveries []*DeliveryJSON `json:"deliveries"`
}

// DeliveryJSON is the delivery of an event to one consumer.
type DeliveryJSON struct {
	Consumer    string                `json:"consumer"` // "webhook:URL" or "listener:NAME"
	Status      getpaid.DeliveryState `json:"status"`   // pending, delivered, dead, discarded
	Attempts    int                   `json:"attempts"`
	NextAt      *time.Time            `json:"next_attempt_at,omitempty"`
	LastStatus  int                   `json:"last_status,omitempty"`
	LastError   string                `json:"last_error,omitempty"`
	DeliveredAt *time.Time            `json:"delivered_at,omitempty"`
	WaitsFor    string                `json:"waits_for,omitempty"` // pending behind this earlier event of its payment
	History     []AttemptJSON         `json:"history,omitempty"`
}

// AttemptJSON is one attempt at a delivery.
type AttemptJSON struct {
	At         time.Time `json:"at"`
	Status     int       `json:"status,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

func eventJSON(ev *getpaid.Event) *EventJSON {
	cur := ev.Amount.Currency
	return &EventJSON{ID: ev.ID, Type: ev.Type, PaymentID: ev.PaymentID, OrderID: ev.OrderID, Backend: ev.Backend,
		From: ev.From, To: ev.To, Amount: ev.Amount.Decimal(), Captured: ev.Captured.Decimal(),
		Refunded: getpaid.Money{Minor: ev.Refunded.Minor, Currency: cur}.Decimal(), Currency: cur, At: ev.At,
		Cause: ev.Cause, Version: ev.PaymentVersion(), Deliveries: []*DeliveryJSON{}}
}

func deliveryJSON(d *getpaid.Delivery) *DeliveryJSON {
	out := &DeliveryJSON{Consumer: d.Consumer, Status: d.State, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
		WaitsFor: d.WaitsFor}
	if d.State == getpaid.DeliveryPending {
		t := d.NextAt
		out.NextAt = &t
	}
	if d.State == getpaid.DeliveryDelivered {
		t := d.DeliveredAt
		out.DeliveredAt = &t
	}
	return out
}

// EventListJSON is the answer of GET /api/v1/events.
type EventListJSON struct {
	Events     []*EventJSON `json:"events"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// consumer is the consumer name an "endpoint" parameter names: a webhook
// endpoint's URL, or a consumer as deliveries list it ("webhook:URL",
// "listener:NAME"; no URL starts so).
func consumer(endpoint string) string {
	if endpoint == "" || strings.HasPrefix(endpoint, "webhook:") || strings.HasPrefix(endpoint, "listener:") {
		return endpoint
	}
	return "webhook:" + endpoint
}

// listEvents answers GET /api/v1/events?status=pending|delivered|dead|discarded&
// endpoint=URL&payment_id=&limit=&cursor=. With status or endpoint it lists
// the events having such deliveries (showing those), newest delivery first,
// each on one page with all of them; without, every event with all its
// deliveries, newest first.
func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "status", "endpoint", "payment_id", "limit", "cursor")
	if err == nil {
		err = emptyFilter(q, "status", "endpoint", "payment_id")
	}
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	n, err := limit(q)
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	ctx := r.Context()
	out := EventListJSON{Events: []*EventJSON{}}
	if q.Get("status") == "" && q.Get("endpoint") == "" {
		cur, err := cursorIn(cursorEvents, q)
		if err != nil {
			h.writeError(w, r, err, "")
			return
		}
		page, err := h.svc.Events(ctx, getpaid.EventFilter{PaymentID: q.Get("payment_id"), Limit: n, Cursor: cur})
		if err != nil {
			h.writeError(w, r, err, "")
			return
		}
		for i := range page.Events {
			ev := eventJSON(&page.Events[i])
			if err := h.addDeliveries(r, ev, getpaid.DeliveryFilter{EventID: ev.ID, Limit: getpaid.MaxPageSize}, false); err != nil {
				h.writeError(w, r, err, "")
				return
			}
			out.Events = append(out.Events, ev)
		}
		out.NextCursor = cursorOut(cursorEvents, page.NextCursor)
		writeJSON(w, http.StatusOK, out)
		return
	}
	cur, err := cursorIn(cursorDeliveries, q)
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	f := getpaid.DeliveryFilter{State: getpaid.DeliveryState(q.Get("status")),
		Consumer: consumer(q.Get("endpoint")), PaymentID: q.Get("payment_id"), Limit: n, Cursor: cur}
	page, err := h.svc.Deliveries(ctx, f)
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	// The page is of deliveries, newest first. An event's deliveries are
	// not always next to one another in that order (two endpoints, both
	// dead, either side of a page's end; one backfilled to an endpoint
	// added later, written long after the others): an event is listed
	// once, where its newest delivery the filter takes falls, with all
	// of them, and its older ones on later pages are passed over. Not on
	// two pages with some on each.
	seen := map[string]bool{}
	next := page.NextCursor
	top := f.Cursor == "" // the first page: nothing was listed before it
	for {
		onPage := map[string]bool{}
		for _, d := range page.Deliveries {
			onPage[d.ID] = true
		}
		for _, d := range page.Deliveries {
			if seen[d.EventID] {
				continue
			}
			seen[d.EventID] = true
			ef := f
			ef.EventID, ef.Cursor, ef.Limit = d.EventID, "", getpaid.MaxPageSize
			all, err := h.svc.Deliveries(ctx, ef)
			if err != nil {
				h.writeError(w, r, err, "")
				return
			}
			ds := all.Deliveries
			if i := slices.IndexFunc(ds, func(o *getpaid.Delivery) bool { return onPage[o.ID] }); i > 0 && !top {
				continue // listed at a newer delivery of it, on an earlier page
			} else if i < 0 {
				// Its deliveries here changed since this page was read:
				// shown as read.
				ds = slices.DeleteFunc(slices.Clone(page.Deliveries), func(o *getpaid.Delivery) bool { return o.EventID != d.EventID })
			}
			e, err := h.svc.Event(ctx, d.EventID)
			if err != nil {
				h.writeError(w, r, err, "")
				return
			}
			ev := eventJSON(e)
			for _, dd := range ds {
				ev.Deliveries = append(ev.Deliveries, deliveryJSON(dd))
			}
			out.Events = append(out.Events, ev)
		}
		if len(out.Events) > 0 || next == "" {
			break
		}
		// Every delivery of this page was of events listed already: the
		// next page, rather than an empty one with a cursor.
		f.Cursor, top = next, false
		if page, err = h.svc.Deliveries(ctx, f); err != nil {
			h.writeError(w, r, err, "")
			return
		}
		next = page.NextCursor
	}
	out.NextCursor = cursorOut(cursorDeliveries, next)
	writeJSON(w, http.StatusOK, out)
}

// addDeliveries adds the deliveries f lists to ev, with their attempts.
func (h *Handler) addDeliveries(r *http.Request, ev *EventJSON, f getpaid.DeliveryFilter, attempts bool) error {
	page, err := h.svc.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	for _, d := range page.Deliveries {
		dj := deliveryJSON(d)
		if attempts {
			atts, err := h.svc.Attempts(r.Context(), d.ID)
			if err != nil {
				return err
			}
			for _, a := range atts {
				dj.History = append(dj.History, AttemptJSON{At: a.At, Status: a.Status, Error: a.Error, DurationMS: a.Duration.Milliseconds()})
			}
		}
		ev.Deliveries = append(ev.Deliveries, dj)
	}
	return nil
}

// getEvent answers GET /api/v1/events/{id}: the event, its deliveries and
// every attempt with its status code or error.
func (h *Handler) getEvent(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id == "replay_dead" || id == "retry_waiting" || id == "discard" {
		// The routes beside the events' own are actions, not event ids.
		methodNotAllowed(w, r, "POST")
		return
	}
	if _, err := query(r); err != nil { // it takes none: one sent would be dropped
		h.writeError(w, r, err, "")
		return
	}
	ev, err := h.svc.Event(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	out := eventJSON(ev)
	if err := h.addDeliveries(r, out, getpaid.DeliveryFilter{EventID: ev.ID, Limit: getpaid.MaxPageSize}, true); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// ReplayJSON is the answer of the replay routes.
type ReplayJSON struct {
	Replayed int `json:"replayed"`
}

// replayEvent answers POST /api/v1/events/{id}/replay[?endpoint=URL]: the
// event is delivered again (to one endpoint, or to every consumer whose
// delivery is not pending).
func (h *Handler) replayEvent(w http.ResponseWriter, r *http.Request) {
	h.replay(w, r, getpaid.ReplayRequest{EventID: r.PathValue("id")})
}

// replayDead answers POST /api/v1/events/replay_dead[?endpoint=URL]: every
// dead delivery (of one endpoint) is made pending again.
func (h *Handler) replayDead(w http.ResponseWriter, r *http.Request) {
	h.replay(w, r, getpaid.ReplayRequest{DeadOnly: true})
}

// retryWaiting answers POST /api/v1/events/retry_waiting[?endpoint=URL]:
// every delivery waiting for a retry (of one endpoint) is sent now, for an
// endpoint that is back after an outage; its attempts so far stay.
func (h *Handler) retryWaiting(w http.ResponseWriter, r *http.Request) {
	h.replay(w, r, getpaid.ReplayRequest{Waiting: true})
}

// replay runs req, for the endpoint the query names if it names one. The
// routes read no body.
func (h *Handler) replay(w http.ResponseWriter, r *http.Request, req getpaid.ReplayRequest) {
	if err := h.noBody(w, r); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	q, err := query(r, "endpoint")
	if err == nil {
		err = emptyFilter(q, "endpoint") // not "every endpoint"
	}
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	req.Consumer = consumer(q.Get("endpoint"))
	n, err := h.svc.Replay(r.Context(), req)
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, ReplayJSON{Replayed: n})
}

// DiscardJSON is the answer of the discard route.
type DiscardJSON struct {
	Discarded int `json:"discarded"`
}

// discard answers POST /api/v1/events/discard?endpoint=URL[&by=NAME]: the
// pending and dead deliveries of an endpoint removed from webhooks: become
// discarded (never sent, out of the backlog); an endpoint still configured
// is 422. It reads no body.
func (h *Handler) discard(w http.ResponseWriter, r *http.Request) {
	if err := h.noBody(w, r); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	q, err := query(r, "endpoint", "by")
	if err == nil {
		// by given empty (an app's unset $OPERATOR) is no name: not the
		// default, which is for by left out. Blanks alone the engine
		// refuses.
		err = emptyFilter(q, "by")
	}
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	by := q.Get("by")
	if by == "" {
		by = "the JSON API"
	}
	n, err := h.svc.Discard(r.Context(), consumer(q.Get("endpoint")), by)
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, DiscardJSON{Discarded: n})
}

// PausedJSON is the answer of GET /api/v1/events/paused.
type PausedJSON struct {
	Paused []PauseJSON `json:"paused"`
}

// PauseJSON is a consumer this server sends no events to until a time (see
// getpaid.ConsumerPause).
type PauseJSON struct {
	Consumer string    `json:"consumer"`           // "webhook:URL" or "listener:NAME"
	Endpoint string    `json:"endpoint,omitempty"` // the webhook endpoint's URL
	Until    time.Time `json:"until"`
	Gone     bool      `json:"gone"`             // it answered 410 Gone; otherwise it asked to be sent less
	Status   int       `json:"status,omitempty"` // the HTTP status that paused it
}

// listPaused answers GET /api/v1/events/paused: the consumers this server
// process sends nothing to for now (an endpoint that answered 410 Gone, or
// asked to be sent less); 501 when the Service is no getpaid.PauseReporter.
func (h *Handler) listPaused(w http.ResponseWriter, r *http.Request) {
	if _, err := query(r); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	if h.pauses == nil {
		h.writeError(w, r, errCannotListPauses, "")
		return
	}
	out := PausedJSON{Paused: []PauseJSON{}}
	for _, p := range h.pauses.Paused() {
		pj := PauseJSON{Consumer: p.Consumer, Until: p.Until, Gone: p.Gone, Status: p.Status}
		if url, ok := strings.CutPrefix(p.Consumer, "webhook:"); ok {
			pj.Endpoint = url
		}
		out.Paused = append(out.Paused, pj)
	}
	writeJSON(w, http.StatusOK, out)
}

// BackfillJSON is the answer of the backfill route.
type BackfillJSON struct {
	Backfilled int `json:"backfilled"`
}

// backfillEvents answers POST /api/v1/events/backfill?endpoint=URL&since=T
// (T in RFC 3339): the events written at or after T, of the types the
// endpoint takes, that it has no delivery of (it was added to webhooks:
// later) are sent to it; 501 when the Service is no
// getpaid.EventBackfiller. It reads no body.
func (h *Handler) backfillEvents(w http.ResponseWriter, r *http.Request) {
	if err := h.noBody(w, r); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	q, err := query(r, "endpoint", "since")
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	if h.backfill == nil {
		h.writeError(w, r, errCannotBackfill, "")
		return
	}
	if q.Get("endpoint") == "" {
		h.writeError(w, r, &getpaid.FieldError{Field: "endpoint", Reason: "name the endpoint to send past events to", Err: getpaid.ErrInvalidRequest}, "")
		return
	}
	since, err := parseRFC3339(q.Get("since"))
	if err != nil {
		h.writeError(w, r, &getpaid.FieldError{Field: "since", Reason: "want a time in RFC 3339 (2026-12-01T00:00:00Z): the first event's to send" + plusAsSpace(q.Get("since")), Err: getpaid.ErrInvalidRequest}, "")
		return
	}
	n, err := h.backfill.Backfill(r.Context(), consumer(q.Get("endpoint")), since)
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, BackfillJSON{Backfilled: n})
}

// noBody refuses a body on a route that reads none (the replays take their
// endpoint from the query): what it says would be silently ignored.
func (h *Handler) noBody(w http.ResponseWriter, r *http.Request) error {
	if empty, err := h.bodyEmpty(w, r); err != nil || empty {
		return err
	}
	dropBody(w, r)
	return badBody("this route reads no body: name the endpoint with ?endpoint=URL")
}
