package httpapi

import (
	"net/http"

	"github.com/getpaid-go/getpaid/internal/edge"
)

// redirectCSP is the policy of the page that auto-submits a broker's POST
// form: PageCSP plus exactly the inline script of redirect.html, by hash.
var redirectCSP = func() string {
	src, err := templateFS.ReadFile("templates/redirect.html")
	if err != nil {
		panic(err)
	}
	var hashes []string
	for _, s := range edge.InlineScripts(string(src)) {
		hashes = append(hashes, edge.ScriptHash(s))
	}
	return edge.ScriptCSP(hashes...)
}()

// renderPage answers template name with data as an HTML page with the
// security headers and policy csp.
func renderPage(w http.ResponseWriter, status int, csp, name string, data any) {
	edge.SetPage(w.Header(), csp)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, data)
}
