package main

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// warnUnsentDeliveries logs, once per endpoint, the pending deliveries (among
// the oldest page of them) to a webhook endpoint that is not in webhooks:.
// Deliveries are kept under their endpoint's URL as it was written, so an
// endpoint removed, or respelled (HTTP://Host:80/x for http://host/x), leaves
// them sent by nobody; the pending gauge never clears, and nothing else says
// why. A read that fails says nothing: this is advice, not a check.
func warnUnsentDeliveries(ctx context.Context, log *slog.Logger, srv *server) {
	page, err := srv.engine.Deliveries(ctx, getpaid.DeliveryFilter{State: getpaid.DeliveryPending, Limit: getpaid.MaxPageSize})
	if err != nil {
		return
	}
	configured := map[string]string{} // sameEndpoint(url) -> url as configured
	takes := map[string][]string{}    // url as configured -> its events: when narrowed
	for _, w := range srv.webhooks {
		configured[sameEndpoint(w.URL)] = w.URL
		if len(w.Events) > 0 {
			takes[w.URL] = w.Events
		}
	}
	warned := map[string]bool{}
	for _, d := range page.Deliveries {
		url, ok := strings.CutPrefix(d.Consumer, "webhook:")
		if !ok || warned[url] {
			continue
		}
		now, ok := configured[sameEndpoint(url)]
		if ok && now == url {
			if t := unwantedType(ctx, srv, d, takes[url]); t != "" {
				warned[url] = true
				log.Warn("pending webhook deliveries of an event type the endpoint's events: no longer takes hold back its later events of the same payment until their next attempt (they are discarded then, not sent): have them discarded now with getpaid events replay --waiting --endpoint "+getpaid.ShownURL(url)+" (its URL as in webhooks:), or put the type back",
					"endpoint", getpaid.ShownURL(url), "type", t)
			}
			continue
		}
		warned[url] = true
		if ok {
			log.Warn("pending webhook deliveries to an endpoint spelled differently in webhooks: are sent by nobody (deliveries keep the URL as it was written): write its url in webhooks: as it was before",
				"endpoint", getpaid.ShownURL(url), "configured_as", getpaid.ShownURL(now))
			continue
		}
		log.Warn("pending webhook deliveries to an endpoint not in webhooks: are sent by nobody: put it back, or, if it is gone for good, run getpaid events discard --endpoint URL --by NAME once every server runs without it",
			"endpoint", getpaid.ShownURL(url))
	}
}

// unwantedType is the type of d's event when an endpoint whose events: are
// narrowed to types no longer takes it, and "" otherwise (every type taken,
// or the event not found: this is advice).
func unwantedType(ctx context.Context, srv *server, d *getpaid.Delivery, types []string) string {
	if len(types) == 0 {
		return ""
	}
	ev, err := srv.engine.Event(ctx, d.EventID)
	if err != nil || slices.Contains(types, string(ev.Type)) {
		return ""
	}
	return string(ev.Type)
}

// stillAtTheBroker are the statuses of a payment its broker may still
// change: a buyer paying, a hold to capture or release, a refund under way.
var stillAtTheBroker = []getpaid.Status{getpaid.StatusNew, getpaid.StatusPrepared, getpaid.StatusChargeStarted,
	getpaid.StatusPreAuth, getpaid.StatusRefundStarted}

// endedAtTheBroker are the statuses of a payment that ended unpaid but may
// still be paid at its broker (a buyer paying after it expired): its money
// is recorded from the late notification or, for a cancelled one, from the
// engine's last look at the broker, which it takes for three days
// (engine.PollWindow) after the payment last changed.
var endedAtTheBroker = []getpaid.Status{getpaid.StatusCancelled, getpaid.StatusFailed}

// warnPaymentsOfGoneBackends logs, once per backend, payments still at
// their broker (among the newest pages of each such status), and those
// that ended unpaid within engine.PollWindow, whose backend is not enabled:
// removed from backends:, or renamed (payu to payu-pln: a payment keeps
// the name it was made with, and its broker the callback URL sent with
// it). Nothing finishes them: their notifications are answered 404 (a late
// payment's money among them), and they are not polled, expired,
// captured, released or refunded. A read that fails says nothing: this is
// advice, not a check.
func warnPaymentsOfGoneBackends(ctx context.Context, log *slog.Logger, srv *server) {
	const pages = 4 // per status: a waiting payment expires, so few are old
	since := time.Now().Add(-engine.PollWindow)
	gone, ended := map[string]int{}, map[string]int{}
	var names []string
	for _, st := range slices.Concat(stillAtTheBroker, endedAtTheBroker) {
		count, endedSt := gone, slices.Contains(endedAtTheBroker, st)
		if endedSt {
			count = ended
		}
		f := getpaid.PaymentFilter{Status: st, Limit: getpaid.MaxPageSize}
		for range pages {
			page, err := srv.engine.Payments(ctx, f)
			if err != nil {
				return
			}
			for _, p := range page.Payments {
				if _, ok := srv.reg.Get(p.Backend); ok {
					continue
				}
				if endedSt && !p.UpdatedAt.After(since) {
					continue
				}
				if gone[p.Backend]+ended[p.Backend] == 0 {
					names = append(names, p.Backend)
				}
				count[p.Backend]++
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
	}
	slices.Sort(names)
	for _, name := range names {
		log.Warn("payments of a backend that is not enabled are still at its broker, or ended unpaid there within three days (a buyer may still pay them), and nothing finishes them: its notifications are answered 404, "+
			"and they are not polled, expired, captured, released or refunded; put it back under this name (with kind:, if it was renamed) until they are finished",
			"backend", name, "payments", gone[name], "ended_recently", ended[name], "callback_url", srv.base+"/callback/"+name, "enabled", srv.reg.Names())
	}
}
