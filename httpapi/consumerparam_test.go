package httpapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/httpapi"
)

// The API lists each delivery with its "consumer" ("webhook:URL",
// "listener:NAME"), and a refused endpoint names the consumers events go
// to in that form; an endpoint= parameter took only a URL and put
// "webhook:" before whatever it got, so the name copied from an answer
// was refused as "webhook:webhook:…" (and a library's listener could not
// be named at all). It takes the consumer as listed too, and a URL as
// before.
func TestEndpointParamTakesTheConsumerAsListed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	p := e.paidThroughPaywall("o-consumer-param", "10.00")
	e.statusEvents(p.ID, getpaid.StatusPaid)
	resp, body := e.do("GET", "/api/v1/events?payment_id="+p.ID, nil, auth)
	var list httpapi.EventListJSON
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Events) == 0 || len(list.Events[0].Deliveries) == 0 {
		t.Fatalf("events: %d %s", resp.StatusCode, body)
	}
	paid, cons := list.Events[0].ID, list.Events[0].Deliveries[0].Consumer
	if !strings.Contains(cons, ":") {
		t.Fatalf("consumer %q", cons)
	}
	q := url.QueryEscape(cons)
	resp, body = e.do("GET", "/api/v1/events?status=delivered&endpoint="+q, nil, auth)
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Events) == 0 {
		t.Fatalf("GET events?endpoint=%s: %d %s", cons, resp.StatusCode, body)
	}
	resp, body = e.do("POST", "/api/v1/events/"+paid+"/replay?endpoint="+q, nil, auth)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"replayed":1`) {
		t.Fatalf("replay?endpoint=%s: %d %s", cons, resp.StatusCode, body)
	}
	// A typo in the consumer form is still a typo.
	resp, body = e.do("GET", "/api/v1/events?endpoint="+url.QueryEscape(cons+"x"), nil, auth)
	if resp.StatusCode != 422 || strings.Contains(string(body), "webhook:"+cons) {
		t.Fatalf("GET events?endpoint=%sx: %d %s", cons, resp.StatusCode, body)
	}
}
