package ui

import (
	"html/template"
	"net/http"

	"github.com/getpaid-go/getpaid/internal/edge"
)

var noticeTmpl = template.Must(template.New("notice").Funcs(Funcs()).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">{{style}}<title>{{.Title}}</title></head>
<body class="{{.Class}}">
{{if .Tag}}<header class="top"><strong>{{.Title}}</strong><span class="sim-tag">{{.Tag}}</span></header>{{end}}
<div class="banner {{.Tone}}" id="notice"><strong>{{.Heading}}</strong>{{if .Text}}<p>{{.Text}}</p>{{end}}</div>
{{if .Link}}<p><a href="{{.Link}}" id="back">{{.LinkText}}</a></p>{{end}}
</body></html>`))

// Notice is a one-message page: a simulator's "you left the payment page",
// a payment page's refusal.
type Notice struct {
	Title    string // the page title (and, with Tag, its header)
	Tag      string // "simulator" marks a simulator's page
	Tone     string // ok, warn, bad, info
	Heading  string
	Text     string
	Link     string // a way on, e.g. back to the shop ("" for none)
	LinkText string
}

// WriteNotice answers with n as an HTML page, with the security headers of
// a page without scripts.
func WriteNotice(w http.ResponseWriter, status int, n Notice) {
	class := ""
	if n.Tag != "" {
		class = "sim"
	}
	if n.Link != "" && n.LinkText == "" {
		n.LinkText = "← Back to the shop"
	}
	// A page's headers, whatever served it: a JSON route's strict policy
	// would block the page's own stylesheet.
	edge.SetPage(w.Header(), edge.PageCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = noticeTmpl.Execute(w, struct {
		Notice
		Class string
	}{n, class})
}
