package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/getpaid-go/getpaid"
)

// statusOf decides the HTTP status for an error: the one place it is decided.
func statusOf(err error) int {
	var fe *getpaid.FieldError
	var be *getpaid.BrokerError
	switch {
	case errors.As(err, &fe):
		return http.StatusUnprocessableEntity
	case errors.Is(err, getpaid.ErrSignatureInvalid), errors.Is(err, getpaid.ErrSourceNotAllowed),
		errors.Is(err, getpaid.ErrBackendMismatch):
		return http.StatusForbidden
	case errors.Is(err, getpaid.ErrMalformedCallback), errors.Is(err, getpaid.ErrInvalidRequest):
		return http.StatusBadRequest
	case errors.Is(err, getpaid.ErrNotFound), errors.Is(err, getpaid.ErrUnknownBackend):
		return http.StatusNotFound
	case errors.Is(err, getpaid.ErrForbiddenTransition), errors.Is(err, getpaid.ErrLivePaymentExists),
		errors.Is(err, getpaid.ErrOrderNotPayable), errors.Is(err, getpaid.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, getpaid.ErrAmountMismatch), errors.Is(err, getpaid.ErrInvalidAmount),
		errors.Is(err, getpaid.ErrUnknownCurrency), errors.Is(err, getpaid.ErrCurrencyNotAccepted),
		errors.Is(err, getpaid.ErrNotSupported):
		return http.StatusUnprocessableEntity
	case errors.As(err, &be):
		if be.Retryable {
			return http.StatusServiceUnavailable
		}
		return http.StatusBadGateway
	default:
		return http.StatusInternalServerError
	}
}

// apiError is the JSON error body: {"error":{"code":"...","message":"...","field":"..."}}.
type apiError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	PaymentID string `json:"payment_id,omitempty"`
}

func codeOf(status int) string {
	switch status {
	case 400:
		return "bad_request"
	case 401:
		return "unauthorized"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 409:
		return "conflict"
	case 422:
		return "unprocessable"
	case 502:
		return "broker_error"
	case 503:
		return "broker_unavailable"
	default:
		return "internal"
	}
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error, paymentID string) {
	status := statusOf(err)
	e := apiError{Code: codeOf(status), Message: err.Error(), PaymentID: paymentID}
	var fe *getpaid.FieldError
	if errors.As(err, &fe) {
		e.Field, e.Message = fe.Field, fe.Reason
	}
	if status == http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "internal error", "path", r.URL.Path, "err", err)
		e.Message = "internal error"
	}
	writeJSON(w, status, map[string]apiError{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
