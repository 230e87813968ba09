package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// noRoute answers a request no route matches, in the API's error shape: 404
// for an unknown path, 405 (with Allow) for a known path and another
// method. Anything else the mux decides (a redirect to the cleaned path) is
// passed on as it is.
func (h *Handler) noRoute(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{header: http.Header{}}
	h.mux.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusNotFound:
		writeJSON(w, http.StatusNotFound, map[string]apiError{"error": {Code: "not_found", Message: "no such route: " + sentPath(r) + mountHint(r.URL.Path)}})
	case http.StatusMethodNotAllowed:
		methodNotAllowed(w, r, rec.header.Get("Allow"))
	default:
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	}
}

// routeRoots are the first segments of the handler's routes.
var routeRoots = []string{"api", "callback", "success", "failure", "pay", "broker"}

// mountHint is what to say when path is one of the handler's routes under a
// prefix it was given unstripped ("/payments/pay/o-1": mounted at
// "/payments/" without http.StripPrefix); "" for any other unknown path.
func mountHint(path string) string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) < 2 || slices.Contains(routeRoots, segs[0]) {
		return ""
	}
	for i := 1; i < len(segs)-1; i++ {
		if slices.Contains(routeRoots, segs[i]) {
			prefix := "/" + strings.Join(segs[:i], "/")
			return fmt.Sprintf(" (getpaid's routes are relative to where it is mounted: under %s/, mount it as mux.Handle(%q, http.StripPrefix(%q, h)))", prefix, prefix+"/", prefix)
		}
	}
	return ""
}

// MethodNotAllowed answers every request 405 method_not_allowed, the API's
// error naming the path sent (under Under's prefix too), with allow in the
// Allow header: for a route beside the handler whose other methods would
// otherwise fall through to it and get its 404.
func MethodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { methodNotAllowed(w, r, allow) })
}

// methodNotAllowed answers 405 for r's method on its path, with allow in the
// Allow header.
func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	writeJSON(w, http.StatusMethodNotAllowed, map[string]apiError{"error": {Code: "method_not_allowed",
		Message: "method " + r.Method + " is not allowed on " + sentPath(r) + " (allowed: " + allow + ")"}})
}

// sentPath is the path r was sent with: under a prefix (httpapi.Under, or
// http.StripPrefix in the application's mux) the client asked for
// /gp/api/v1/nope, not the /api/v1/nope left once the prefix was cut.
func sentPath(r *http.Request) string {
	return mountPath(r) + r.URL.Path
}

// recorder keeps what the mux's own fallback handlers answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
