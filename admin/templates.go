package admin

import (
	"fmt"
	"html/template"
	"net/url"
	"time"

	"github.com/getpaid-go/getpaid"
)

// pageNames are the templates of templates/, each executed in the layout.
var pageNames = []string{"login", "message", "list", "payment", "confirm", "backends", "attention"}

var funcs = template.FuncMap{
	"money": func(p *getpaid.Payment, minor int64) string { return p.Money(minor).String() },
	"m":     func(m getpaid.Money) string { return m.String() },
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"dur":   func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"pe":    url.PathEscape,
	"info":  func(a string) any { return actionInfo[a] },
	"final": func(s getpaid.OperationState) bool { return s.Final() },
	"shown": getpaid.ShownConsumer, // a webhook URL's query values hidden: a token in one is a secret
}

// parsePages parses every page with the layout.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("admin: templates: %w", err)
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("admin: templates: %w", err)
		}
		out[name] = t
	}
	return out, nil
}
