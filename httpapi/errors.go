package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/getpaid-go/getpaid"
)

// Errors of the HTTP edge itself (limits, media types, transport).
var (
	errBodyTooLarge     = errors.New("request body too large")
	errBusy             = errors.New("the server is busy reading other requests; try again shortly")
	errBodyTimeout      = errors.New("request body not received in time")
	errRateLimited      = errors.New("too many failed attempts from this address; try again later")
	errUnsupportedMedia = errors.New("the body must be JSON, sent with Content-Type: application/json")
	// errUnsupportedCharset is application/json in a charset other than
	// UTF-8: the media type is right, its encoding is not read.
	errUnsupportedCharset = errors.New("the body must be JSON in UTF-8: send Content-Type: application/json without a charset, or with charset=utf-8")
	// errUnsupportedEncoding is a JSON body sent compressed (or otherwise
	// encoded): getpaid reads bodies as they come.
	errUnsupportedEncoding = errors.New("the body must be sent as it is, without a Content-Encoding (gzip, br, ...)")
	errHTTPSRequired       = errors.New("API calls must use https")
	// errCannotCheck answers a check of an operation when the Service
	// given to the Handler is no getpaid.OperationChecker.
	errCannotCheck = errors.New("this server cannot check operations with their brokers (its service has no CheckOperation); the reconciler still checks them on its schedule")
	// errCannotBackfill answers a backfill when the Service is no
	// getpaid.EventBackfiller.
	errCannotBackfill = errors.New("this server cannot send past events to an endpoint (its service has no Backfill)")
	// errCannotListPauses answers GET /api/v1/events/paused when the
	// Service is no getpaid.PauseReporter.
	errCannotListPauses = errors.New("this server cannot say which endpoints it pauses (its service has no Paused)")
)

// retryError is an error a client may retry after a while (Retry-After).
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// sentinels maps each domain error to its HTTP status, stable code and
// message: the one place statuses are decided. Messages are the sentinels'
// own text, never the chain of wrapped internal errors.
var sentinels = []struct {
	err    error
	status int
	code   string
}{
	{errBodyTooLarge, http.StatusRequestEntityTooLarge, "body_too_large"},
	{errBusy, http.StatusServiceUnavailable, "busy"},
	{errBodyTimeout, http.StatusRequestTimeout, "request_timeout"},
	{errRateLimited, http.StatusTooManyRequests, "rate_limited"},
	{errUnsupportedMedia, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	{errUnsupportedEncoding, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	{errUnsupportedCharset, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	{errHTTPSRequired, http.StatusForbidden, "https_required"},
	{errCannotCheck, http.StatusNotImplemented, "not_implemented"},
	{errCannotBackfill, http.StatusNotImplemented, "not_implemented"},
	{errCannotListPauses, http.StatusNotImplemented, "not_implemented"},
	{getpaid.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{getpaid.ErrOperationInProgress, http.StatusConflict, "operation_in_progress"},
	{getpaid.ErrOperationInDoubt, http.StatusConflict, "operation_in_doubt"},
	{getpaid.ErrOperationFailed, http.StatusUnprocessableEntity, "operation_failed"},
	{getpaid.ErrSignatureInvalid, http.StatusForbidden, "signature_invalid"},
	{getpaid.ErrSourceNotAllowed, http.StatusForbidden, "source_not_allowed"},
	{getpaid.ErrBackendMismatch, http.StatusForbidden, "backend_mismatch"},
	{getpaid.ErrMalformedCallback, http.StatusBadRequest, "malformed_callback"},
	{getpaid.ErrInvalidRequest, http.StatusBadRequest, "bad_request"},
	{getpaid.ErrNotFound, http.StatusNotFound, "not_found"},
	{getpaid.ErrUnknownBackend, http.StatusNotFound, "unknown_backend"},
	{getpaid.ErrForbiddenTransition, http.StatusConflict, "forbidden_transition"},
	{getpaid.ErrLivePaymentExists, http.StatusConflict, "live_payment_exists"},
	{getpaid.ErrOrderNotPayable, http.StatusConflict, "order_not_payable"},
	{getpaid.ErrConflict, http.StatusConflict, "conflict"},
	{getpaid.ErrDuplicateEvent, http.StatusConflict, "duplicate_event"},
	{getpaid.ErrAmountMismatch, http.StatusUnprocessableEntity, "amount_mismatch"},
	{getpaid.ErrPaymentMismatch, http.StatusUnprocessableEntity, "payment_mismatch"},
	{getpaid.ErrInvalidAmount, http.StatusUnprocessableEntity, "invalid_amount"},
	{getpaid.ErrUnknownCurrency, http.StatusUnprocessableEntity, "unknown_currency"},
	{getpaid.ErrCurrencyNotAccepted, http.StatusUnprocessableEntity, "currency_not_accepted"},
	{getpaid.ErrNotSupported, http.StatusUnprocessableEntity, "not_supported"},
}

// apiError is the JSON error body: {"error":{"code","message","field"}}.
type apiError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field"` // always there, "" unless a field is wrong
	PaymentID string `json:"payment_id,omitempty"`
	// Operation is the money operation the request was about, as recorded
	// (in progress, in doubt, or failed with the broker's reason).
	Operation *OperationJSON `json:"operation,omitempty"`
}

// classify decides the status and the client-facing error for err. Field
// errors, refused transitions and bad amounts say what is wrong in words
// meant for clients; broker failures say whether to retry; anything else
// is "internal error".
func classify(err error) (int, apiError) {
	var (
		fe *getpaid.FieldError
		te *getpaid.TransitionError
		me *getpaid.MoneyError
		be *getpaid.BrokerError
		oe *getpaid.OperationError
	)
	if errors.As(err, &oe) {
		status, e := classifySentinel(oe.Err)
		if status == 0 {
			status, e = http.StatusInternalServerError, apiError{Code: "internal", Message: "internal error"}
		}
		e.Operation = operationJSON(oe.Op)
		switch {
		case errors.Is(oe.Err, getpaid.ErrOperationFailed) && oe.Op.ResolvedBy != "":
			// Settled by an operator, not by anything the broker said.
			e.Message = "the operation failed: " + oe.Op.ResolvedBy + " resolved it as not done (the operation's note says why)"
		case errors.Is(oe.Err, getpaid.ErrOperationFailed):
			e.Message = "the operation failed: " + failedWhy(oe.Err)
		case errors.Is(oe.Err, getpaid.ErrConflict) && oe.Op.State == getpaid.OpSubmitting:
			// A check asked while its broker call runs: not settled.
			status, e.Code, e.Message = http.StatusConflict, "conflict", "the operation's broker call is still running: it is checked once that call ends (or, if the process making it stopped, once it is taken for lost: resume_operations_after, by default 2 min, or 3 × the longest backend timeout once that is a minute or more)"
		case errors.Is(oe.Err, getpaid.ErrConflict) && oe.Op.State.Final() && !oe.Op.Flagged:
			status, e.Code, e.Message = http.StatusConflict, "conflict", "the operation has already "+string(oe.Op.State)+": nothing is left to check or resolve"
		case errors.Is(oe.Err, getpaid.ErrConflict):
			// Still in doubt, and refused for a reason of its own (a
			// refund a notification may have counted already, a payment
			// that changed meanwhile), or settled and flagged, resolved
			// as another state than its own: the engine's reason says
			// what to do.
			status, e.Code = http.StatusConflict, "conflict"
			e.Message = oe.Reason()
		}
		return status, e
	}
	var (
		bo *bodyError
		ue *getpaid.UnsupportedError
		tl *tooLargeError
	)
	switch {
	case errors.As(err, &ue):
		return http.StatusUnprocessableEntity, apiError{Code: "not_supported", Message: ue.Error()}
	case errors.As(err, &tl):
		return http.StatusRequestEntityTooLarge, apiError{Code: "body_too_large", Message: tl.Error()}
	case errors.As(err, &bo):
		return http.StatusBadRequest, apiError{Code: "bad_request", Message: bo.msg}
	case errors.As(err, &fe):
		return http.StatusUnprocessableEntity, apiError{Code: codeOf(fe.Err, 422), Message: fe.Reason, Field: fe.Field}
	case errors.As(err, &te):
		return http.StatusConflict, apiError{Code: "forbidden_transition", Message: te.Error()}
	case errors.As(err, &me):
		return http.StatusUnprocessableEntity, apiError{Code: codeOf(me.Err, 422), Message: me.Error()}
	}
	if status, e := classifySentinel(err); status != 0 {
		return status, e
	}
	if errors.As(err, &be) {
		if be.Retryable {
			return http.StatusServiceUnavailable, apiError{Code: "broker_unavailable", Message: "the broker could not be reached or failed; try again later"}
		}
		msg := "the broker refused the request"
		if be.Status != 0 {
			msg = fmt.Sprintf("the broker refused the request (HTTP %d)", be.Status)
		}
		return http.StatusBadGateway, apiError{Code: "broker_error", Message: msg}
	}
	return http.StatusInternalServerError, apiError{Code: "internal", Message: "internal error"}
}

// statusClientClosed answers a request whose client went away before it
// was answered (nginx's 499): nobody reads it, but the access log and the
// metrics see a request its client cancelled, not getpaid failing.
const statusClientClosed = 499

// classifyFor is classify for an error answering r: r's own context
// cancelled (the client went away) is statusClientClosed, whatever the
// layers below made of it (an idempotency key's turn not waited for, a
// query cut off), not a 500 internal error logged for an operator. A
// deadline on r's context (a timeout the application's middleware set)
// is not the client leaving: what ran out of time is classified as any
// failure, and logged.
func classifyFor(r *http.Request, err error) (int, apiError) {
	if errors.Is(r.Context().Err(), context.Canceled) && errors.Is(err, context.Canceled) {
		return statusClientClosed, apiError{Code: "client_closed_request",
			Message: "the request ended before it was answered (its client went away); send it again, with the same Idempotency-Key, to learn its outcome"}
	}
	return classify(err)
}

// failedWhy says, in words meant for the client, why an operation failed:
// what the broker's error in err tells (refused, or not reached, when that
// failure is in err's chain), else that the broker did not carry it out.
// The broker's own error (its URL, its raw answer) is not client text: it
// stays in the operation's "error", for operators.
func failedWhy(err error) string {
	var (
		be *getpaid.BrokerError
		fe *getpaid.FieldError
		me *getpaid.MoneyError
	)
	switch {
	case errors.As(err, &fe):
		return fe.Field + ": " + fe.Reason
	case errors.As(err, &me):
		return me.Error()
	case errors.As(err, &be) && be.Status != 0:
		return fmt.Sprintf("the broker refused it (HTTP %d)", be.Status)
	case errors.As(err, &be) && be.Retryable:
		return "the broker could not be reached, and nothing was done; try again with a new Idempotency-Key"
	case errors.As(err, &be):
		return "the broker refused it"
	}
	return "the broker did not carry it out (the operation's error says why)"
}

// classifySentinel maps err by the first sentinel it wraps; 0 if none.
func classifySentinel(err error) (int, apiError) {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.status, apiError{Code: s.code, Message: s.err.Error()}
		}
	}
	return 0, apiError{}
}

// codeOf is the stable code of a field or money error's cause. An amount
// refused is invalid_amount, also where the request is wrong whatever the
// amount (ErrInvalidRequest too: the engine's refusal of an amount given
// to a release, a cancel or an advance decision). Only here: an error
// that is no field's (a shop's OrderChecker reason wrapping
// ErrInvalidAmount, ErrOrderNotPayable around it) keeps the sentinels'
// order.
func codeOf(cause error, status int) string {
	if errors.Is(cause, getpaid.ErrInvalidAmount) {
		return "invalid_amount"
	}
	for _, s := range sentinels {
		if errors.Is(cause, s.err) {
			return s.code
		}
	}
	if status == http.StatusBadRequest {
		return "bad_request"
	}
	return "unprocessable"
}

// statusOf is the HTTP status classifyFor decides for err answering r.
func statusOf(r *http.Request, err error) int {
	status, _ := classifyFor(r, err)
	return status
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error, paymentID string) {
	status, e := classifyFor(r, err)
	e.PaymentID = paymentID
	h.noteError(w, r, status, err)
	writeJSON(w, status, map[string]apiError{"error": e})
}

// textError answers err in plain text with the status classify decides,
// for pages (a buyer's browser, not an API client).
func (h *Handler) textError(w http.ResponseWriter, r *http.Request, err error) {
	status, e := classifyFor(r, err)
	h.noteError(w, r, status, err)
	http.Error(w, e.Message, status)
}

// noteError logs err as its status deserves and sets Retry-After where the
// client should come back: the error's own delay, else 5 s for a 503. A
// server too busy to read bodies is logged once per window, not per request.
func (h *Handler) noteError(w http.ResponseWriter, r *http.Request, status int, err error) {
	var re *retryError
	switch {
	case errors.As(err, &re):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(re.after, time.Second).Seconds()))))
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "5")
	}
	switch {
	case errors.Is(err, errBusy):
		if ok, missed := h.busy.Allow(); ok {
			h.log.WarnContext(r.Context(), "request bodies refused: the body budget, the sender's address's share of it (address_budget) or the read slots are used up (further refusals are counted, not logged, until the window ends)",
				"path", sentPath(r), "ip", h.ClientIP(r), "refused_unlogged_in_last_window", missed)
		}
	case status == http.StatusInternalServerError:
		h.log.ErrorContext(r.Context(), "internal error", "path", sentPath(r), "err", err)
	case status == statusClientClosed:
		h.log.InfoContext(r.Context(), "request ended by its client before it was answered", "path", sentPath(r), "err", err)
	case status == http.StatusServiceUnavailable:
		// Once a window: while the database is away every request is
		// refused, and a line each would bury the rest of the log.
		if ok, missed := h.unavail.Allow(); ok {
			h.log.WarnContext(r.Context(), "unavailable (further 503s are counted, not logged, until the window ends)",
				"path", sentPath(r), "err", err, "unavailable_unlogged_in_last_window", missed)
		}
	}
}

// jsonContentType is the Content-Type of JSON answers, shared by them as
// edge.SetStrict's values are (one element, capacity one: never written
// through).
var jsonContentType = []string{"application/json"}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
