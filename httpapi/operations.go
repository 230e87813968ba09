package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/getpaid-go/getpaid"
)

// OperationJSON is a money operation as the API shows it.
type OperationJSON struct {
	ID             string                 `json:"id"`
	PaymentID      string                 `json:"payment_id"`
	Kind           getpaid.OperationKind  `json:"kind"`
	State          getpaid.OperationState `json:"state"`
	Amount         string                 `json:"amount"`
	Currency       string                 `json:"currency"`
	IdempotencyKey string                 `json:"idempotency_key"`
	BrokerRef      string                 `json:"broker_ref"`
	Error          string                 `json:"error"`
	LastCheck      string                 `json:"last_check,omitempty"` // what the reconciler's last check found, when it settled nothing
	Flagged        bool                   `json:"flagged"`              // always shown, false too
	ResolvedBy     string                 `json:"resolved_by,omitempty"`
	Note           string                 `json:"note,omitempty"`
	CreatedAt      time.Time              `json:"created_at"`
	UpdatedAt      time.Time              `json:"updated_at"`
}

func operationJSON(op *getpaid.Operation) *OperationJSON {
	if op == nil {
		return nil
	}
	return &OperationJSON{
		ID: op.ID, PaymentID: op.PaymentID, Kind: op.Kind, State: op.State, Amount: op.Amount.Decimal(),
		Currency: op.Amount.Currency, IdempotencyKey: op.IdempotencyKey, BrokerRef: op.BrokerRef, Error: op.Error, LastCheck: op.LastCheck,
		Flagged: op.Flagged, ResolvedBy: op.ResolvedBy, Note: op.Note, CreatedAt: op.CreatedAt, UpdatedAt: op.UpdatedAt,
	}
}

// paymentOperations lists a payment's operations, newest first (all of
// them: a payment has a handful).
func (h *Handler) paymentOperations(r *http.Request, id string) ([]*OperationJSON, error) {
	out := []*OperationJSON{}
	f := getpaid.OperationFilter{PaymentID: id, Limit: getpaid.MaxPageSize}
	for {
		page, err := h.svc.Operations(r.Context(), f)
		if err != nil {
			return nil, err
		}
		for _, op := range page.Operations {
			out = append(out, operationJSON(op))
		}
		if page.NextCursor == "" {
			return out, nil
		}
		f.Cursor = page.NextCursor
	}
}

// actionRequest is the body of an action. Its amount, when the key is
// there, must be a decimal string: null or "" is refused rather than taken
// as "the whole amount", so that a client whose partial amount came out
// empty (Python's None) does not refund everything. Omit the key for the
// whole.
type actionRequest struct {
	Amount string `json:"amount"`
}

// UnmarshalJSON implements json.Unmarshaler: as encoding/json with unknown
// keys refused (decodeStrict has checked the rest), and an empty or null
// amount refused.
func (a *actionRequest) UnmarshalJSON(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	raw, given := keys["amount"]
	if given && string(bytes.TrimSpace(raw)) == "null" {
		return &getpaid.FieldError{Field: "amount", Reason: "null: give a decimal string, or leave the key out for the whole amount",
			Err: getpaid.ErrInvalidAmount}
	}
	type plain actionRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode((*plain)(a)); err != nil {
		return err
	}
	if given && a.Amount == "" {
		return &getpaid.FieldError{Field: "amount", Reason: "empty: give a decimal string, or leave the key out for the whole amount",
			Err: getpaid.ErrInvalidAmount}
	}
	return nil
}

// action returns the service method behind a money operation route, and
// whether it needs an Idempotency-Key header (a retried capture or refund
// must never move money twice).
func action(svc getpaid.Service, name string) (run func(context.Context, getpaid.ActionRequest) (*getpaid.ActionResult, error), keyed, ok bool) {
	switch name {
	case "capture":
		return svc.Capture, true, true
	case "refund":
		return svc.Refund, true, true
	case "release":
		return svc.Release, false, true
	case "cancel":
		return svc.Cancel, false, true
	case "accept_advance":
		return svc.AcceptAdvance, false, true
	case "reject_advance":
		return svc.RejectAdvance, false, true
	}
	return nil, false, false
}

// paymentAction answers POST /api/v1/payments/{id}/{action}: start, poll,
// and the money operations with the payment's JSON, its operations and the
// one this request created or found.
func (h *Handler) paymentAction(w http.ResponseWriter, r *http.Request) {
	id, name := r.PathValue("id"), r.PathValue("action")
	ctx := r.Context()
	if _, err := query(r); err != nil {
		// An amount put in the query ("refund?amount=5.00") would be
		// dropped, and the request read as one of the whole amount.
		dropBody(w, r)
		h.writeError(w, r, err, id)
		return
	}
	var req actionRequest
	empty, err := h.bodyEmpty(w, r)
	if err != nil {
		h.writeError(w, r, err, id)
		return
	}
	if !empty {
		if err := h.decodeJSON(w, r, &req); err != nil {
			h.writeError(w, r, err, id)
			return
		}
	}
	var (
		p  *getpaid.Payment
		op *getpaid.Operation
	)
	run, keyed, known := action(h.svc, name)
	if req.Amount != "" && (name == "start" || name == "poll") {
		// These act on the whole payment whatever the caller meant, and
		// the service takes no amount for them: it would be dropped. The
		// other actions' goes to the service, which refuses it where the
		// action takes none, or says first that the backend cannot do it
		// at all (as it does without an amount).
		h.writeError(w, r, &getpaid.FieldError{Field: "amount", Reason: name + " takes no amount: only capture and refund do",
			Err: getpaid.ErrInvalidAmount}, id)
		return
	}
	switch name {
	case "start":
		p, err = h.svc.Start(ctx, id, h.ClientIP(r))
	case "poll":
		p, err = h.svc.Poll(ctx, id)
	default:
		if !known {
			h.writeError(w, r, fmt.Errorf("%w: unknown action %q", getpaid.ErrNotFound, name), id)
			return
		}
		key, kerr := idempotencyKey(r)
		if kerr != nil {
			h.writeError(w, r, kerr, id)
			return
		}
		areq := getpaid.ActionRequest{PaymentID: id, IdempotencyKey: key}
		if keyed && areq.IdempotencyKey == "" {
			h.writeError(w, r, &getpaid.FieldError{Field: "Idempotency-Key", Reason: "required: a header with a key unique to this " + name + ", sent again on a retry", Err: getpaid.ErrInvalidRequest}, id)
			return
		}
		if req.Amount != "" {
			cur, lerr := h.svc.Payment(ctx, id)
			if lerr != nil {
				h.writeError(w, r, lerr, "")
				return
			}
			m, perr := getpaid.ParseMoney(req.Amount, cur.Amount.Currency)
			if perr != nil {
				h.writeError(w, r, &getpaid.FieldError{Field: "amount", Reason: perr.Error(), Err: perr}, id)
				return
			}
			areq.Amount = &m
		}
		var res *getpaid.ActionResult
		if res, err = run(ctx, areq); err == nil {
			p, op = res.Payment, res.Operation
		}
	}
	if err != nil {
		h.writeError(w, r, err, id)
		return
	}
	out := toJSON(p)
	if out.Operations, err = h.paymentOperations(r, id); err != nil {
		h.writeError(w, r, err, id)
		return
	}
	if op != nil {
		out.Operation = operationJSON(op)
		w.Header().Set("Location", mountPath(r)+"/api/v1/operations/"+op.ID)
	}
	h.writePayment(w, http.StatusOK, out)
}

// OperationListJSON is the answer of GET /api/v1/operations.
type OperationListJSON struct {
	Operations []*OperationJSON `json:"operations"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// listOperations answers GET /api/v1/operations?state=&kind=&payment_id=&
// flagged=true&limit=&cursor= and GET /api/v1/payments/{id}/operations.
func (h *Handler) listOperations(w http.ResponseWriter, r *http.Request) {
	known := []string{"state", "kind", "payment_id", "flagged", "limit", "cursor"}
	if r.PathValue("id") != "" {
		known = []string{"state", "kind", "flagged", "limit", "cursor"} // the path names the payment
	}
	q, err := query(r, known...)
	if err == nil {
		err = emptyFilter(q, "state", "kind", "payment_id", "flagged")
	}
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	if v := q.Get("flagged"); v != "" && v != "true" {
		// Anything else read as "no filter" would list every operation,
		// flagged ones too: flagged=false, read as "not flagged", would
		// hide nothing it said it hid.
		reason := "want true (the flagged operations only)"
		if v == "false" {
			reason = "there is no filter for operations not flagged: leave flagged out to list every operation, or want true for the flagged ones"
		}
		h.writeError(w, r, &getpaid.FieldError{Field: "flagged", Reason: reason, Err: getpaid.ErrInvalidRequest}, "")
		return
	}
	f := getpaid.OperationFilter{State: getpaid.OperationState(q.Get("state")), Kind: getpaid.OperationKind(q.Get("kind")),
		PaymentID: q.Get("payment_id"), FlaggedOnly: q.Get("flagged") == "true"}
	if f.Cursor, err = cursorIn(cursorOperations, q); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	if id := r.PathValue("id"); id != "" {
		if _, err := h.svc.Payment(r.Context(), id); err != nil {
			h.writeError(w, r, err, "")
			return
		}
		f.PaymentID = id
	}
	if f.Limit, err = limit(q); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	page, err := h.svc.Operations(r.Context(), f)
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	out := OperationListJSON{Operations: []*OperationJSON{}, NextCursor: cursorOut(cursorOperations, page.NextCursor)}
	for _, op := range page.Operations {
		out.Operations = append(out.Operations, operationJSON(op))
	}
	writeJSON(w, http.StatusOK, out)
}

// getOperation answers GET /api/v1/operations/{id}.
func (h *Handler) getOperation(w http.ResponseWriter, r *http.Request) {
	if _, err := query(r); err != nil { // it takes none: one sent would be dropped
		h.writeError(w, r, err, "")
		return
	}
	op, err := h.svc.Operation(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, operationJSON(op))
}

type resolveRequest struct {
	As   getpaid.OperationState `json:"as"`
	Note string                 `json:"note"`
	By   *string                `json:"by"` // nil when left out
	// Seen is the operation's updated_at as the client read it (nil when
	// left out: no precondition): named for what it says, as the
	// console's form field and getpaid.ResolveRequest.Seen are.
	Seen *string `json:"seen"`
}

// resolveOperation answers POST /api/v1/operations/{id}/resolve
// {"as":"succeeded|failed","note":"why","by":"who","seen":"updated_at"}:
// an operator's decision, recorded as by "api" when by is left out (given
// empty, it is refused: an app's unset variable names nobody). With seen
// (the operation's updated_at as read), one changed since is 409.
func (h *Handler) resolveOperation(w http.ResponseWriter, r *http.Request) {
	if _, err := query(r); err != nil {
		// "resolve?as=failed" beside a body saying otherwise: its input
		// is the body's alone.
		dropBody(w, r)
		h.writeError(w, r, err, "")
		return
	}
	var req resolveRequest
	if err := h.decodeJSON(w, r, &req); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	by := "api"
	if req.By != nil {
		if *req.By == "" {
			h.writeError(w, r, &getpaid.FieldError{Field: "by", Reason: "empty: name who decides, or leave it out", Err: getpaid.ErrInvalidRequest}, "")
			return
		}
		by = *req.By
	}
	var seen time.Time
	if req.Seen != nil {
		var err error
		if seen, err = parseRFC3339(*req.Seen); err != nil || seen.IsZero() {
			h.writeError(w, r, &getpaid.FieldError{Field: "seen", Reason: "want the operation's updated_at as read (RFC 3339, as GET answers it), or leave it out", Err: getpaid.ErrInvalidRequest}, "")
			return
		}
	}
	res, err := h.svc.ResolveOperation(r.Context(), getpaid.ResolveRequest{OperationID: r.PathValue("id"), As: req.As, Note: req.Note, By: by, Seen: seen})
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	out := toJSON(res.Payment)
	if out.Operations, err = h.paymentOperations(r, res.Payment.ID); err != nil {
		h.writeError(w, r, err, "")
		return
	}
	out.Operation = operationJSON(res.Operation)
	h.writePayment(w, http.StatusOK, out)
}

// checkOperation answers POST /api/v1/operations/{id}/check: the operation,
// due for a check with its broker now (202: the reconciler asks within
// seconds; GET it to see what it found); 501 when the Service is no
// getpaid.OperationChecker.
func (h *Handler) checkOperation(w http.ResponseWriter, r *http.Request) {
	if _, err := query(r); err != nil {
		dropBody(w, r)
		h.writeError(w, r, err, "")
		return
	}
	if empty, err := h.bodyEmpty(w, r); err != nil || !empty {
		if err == nil {
			dropBody(w, r)
			err = badBody("this route reads no body")
		}
		h.writeError(w, r, err, "")
		return
	}
	if h.checker == nil {
		h.writeError(w, r, errCannotCheck, "")
		return
	}
	op, err := h.checker.CheckOperation(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusAccepted, operationJSON(op))
}
