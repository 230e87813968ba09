package brokertest

import (
	"net/http"
	"sync/atomic"

	"github.com/getpaid-go/getpaid/httpapi"
)

// lateHandler serves the handler built after the server's URL is known.
type lateHandler struct {
	h atomic.Pointer[httpapi.Handler]
}

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := l.h.Load()
	if h == nil {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}
