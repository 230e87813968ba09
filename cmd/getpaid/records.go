package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
)

// openRecords wires getpaid from a config file for the record tools
// (operations, events): they read and change the database a server uses.
func openRecords(ctx context.Context, path string, stderr io.Writer) (*server, error) {
	c, err := loadConfig(path, stderr)
	if err != nil {
		return nil, err
	}
	// The server's database: a path that names none is an error, not an
	// empty database made there, and its schema is the server's to change.
	c.existing = true
	// The tools deliver no events: a replay is sent by the running server
	// (a tool delivering would spend the schedule of every due delivery
	// from wherever the operator runs it, and wait for slow endpoints).
	return buildServer(ctx, c, slog.New(slog.DiscardHandler), func(e *engine.Config) { e.NoDelivery = true })
}

// cmdOperations is "getpaid operations list|show|check|resolve".
func cmdOperations(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	synopsis := "list [--state S] [--kind K] [--payment ID] [--flagged] | show ID | check ID | resolve ID --as succeeded|failed --note TEXT [--by NAME] [--seen UPDATED]"
	fs := newFlags("operations", synopsis, `getpaid operations resolve op_01h... --as failed --note "refund not in PayU's panel" --config getpaid.yaml`)
	// Every flag is defined before the positional arguments are read, so
	// that --help in their place lists them all.
	path := fs.String("config", "getpaid.yaml", "config file")
	state := fs.String("state", "", "list: only operations in this state: submitting, pending, succeeded, failed, unknown")
	kind := fs.String("kind", "", "list: only operations of this kind: capture, release, cancel, refund")
	payment := fs.String("payment", "", "list: only this payment's operations")
	flagged := fs.Bool("flagged", false, "list: only operations flagged for an operator")
	as := fs.String("as", "", "resolve: as succeeded or failed")
	note := fs.String("note", "", "resolve: why (kept with the operation)")
	by := fs.String("by", os.Getenv("USER"), "resolve: who resolves it ($USER; cli when that is unset)")
	seen := fs.String("seen", "", "resolve: the operation as you were shown it, its updated time as show prints it: refused if it changed since")
	verb, rest, err := fs.positional(args, "list, show, check or resolve")
	if err != nil {
		return err
	}
	if verb != "list" && verb != "show" && verb != "check" && verb != "resolve" {
		return fs.usage("unknown %q: want list, show, check or resolve", verb)
	}
	var id string
	if verb == "list" {
		err = fs.parse(rest)
	} else {
		id, err = fs.parseWithID(rest, "the operation id", true)
	}
	if err != nil {
		return err
	}
	// Wrong use is said before the database is opened; a flag of another
	// verb would be ignored in silence.
	if err := fs.takes(verb, map[string][]string{"list": {"state", "kind", "payment", "flagged"}, "show": nil, "check": nil,
		"resolve": {"as", "note", "by", "seen"}}[verb]...); err != nil {
		return err
	}
	if err := fs.givenEmpty("state", "kind", "payment"); err != nil {
		return err
	}
	switch st := getpaid.OperationState(*state); {
	case verb == "list" && st != "" && !slices.Contains([]getpaid.OperationState{getpaid.OpSubmitting, getpaid.OpPending, getpaid.OpSucceeded, getpaid.OpFailed, getpaid.OpUnknown}, st):
		return fs.usage("--state %q: want submitting, pending, succeeded, failed or unknown", *state)
	case verb == "list" && *kind != "" && !getpaid.OperationKind(*kind).Valid():
		return fs.usage("--kind %q: want capture, release, cancel or refund", *kind)
	case verb == "list" && fs.given("flagged") && !*flagged:
		return fs.usage("--flagged=false: there is no filter for the operations not flagged; leave --flagged out to list every operation")
	case verb == "resolve" && *as == "":
		return fs.usage("--as is required: succeeded or failed")
	case verb == "resolve" && *as != string(getpaid.OpSucceeded) && *as != string(getpaid.OpFailed):
		return fs.usage("--as %q: want succeeded or failed", *as)
	case verb == "resolve" && strings.TrimSpace(*note) == "":
		return fs.usage("--note is required: say why (it is kept with the operation)")
	case verb == "resolve" && fs.given("by") && strings.TrimSpace(*by) == "":
		return fs.usage("--by is blank: name who decides (or leave it out for $USER, or cli when that is unset)")
	}
	var seenAt time.Time
	if verb == "resolve" && fs.given("seen") {
		if seenAt, err = time.Parse(time.RFC3339Nano, *seen); err != nil || seenAt.IsZero() {
			return fs.usage("--seen %q: want the operation's updated time as operations show prints it (2026-12-01T10:00:00.123456789Z)", *seen)
		}
	}
	srv, err := openRecords(ctx, *path, stderr)
	if err != nil {
		return err
	}
	defer srv.Close()
	switch verb {
	case "list":
		page, err := srv.engine.Operations(ctx, getpaid.OperationFilter{State: getpaid.OperationState(*state), Kind: getpaid.OperationKind(*kind),
			PaymentID: *payment, FlaggedOnly: *flagged, Limit: getpaid.MaxPageSize})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tSTATE\tAMOUNT\tPAYMENT\tCREATED\tFLAGGED\tERROR")
		for _, op := range page.Operations {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\t%s\n", op.ID, op.Kind, op.State, op.Amount, op.PaymentID,
				op.CreatedAt.Format(time.RFC3339), op.Flagged, termText(op.Error))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		sayCut(stderr, page.NextCursor, "getpaid operations: the newest %d operations are listed; there are more (narrow with --state, --kind, --payment or --flagged, or page through GET /api/v1/operations)", len(page.Operations))
		return nil
	case "show":
		op, err := srv.engine.Operation(ctx, id)
		if err != nil {
			return notFound(err, "operation", id, srv)
		}
		printOperation(stdout, op)
		return nil
	case "check":
		op, err := srv.engine.CheckOperation(ctx, id)
		if oe := (*getpaid.OperationError)(nil); errors.As(err, &oe) && errors.Is(err, getpaid.ErrConflict) {
			if oe.Op.State == getpaid.OpSubmitting {
				return fmt.Errorf("operation %s: its broker call is still running; it is checked once that ends (or is taken for lost)", oe.Op.ID)
			}
			return fmt.Errorf("operation %s has already %s: nothing to check", oe.Op.ID, oe.Op.State)
		}
		if err != nil {
			return notFound(err, "operation", id, srv)
		}
		printOperation(stdout, op)
		// The tool only marks it due (it runs no reconciler, and cannot
		// tell whether a server does): say who asks, and when.
		fmt.Fprintln(stdout, "due for a check with its broker now: a running `getpaid serve` on this database asks within seconds; if none runs, the next one started asks as it starts (see operations show)")
		return nil
	case "resolve":
		if *by == "" {
			*by = "cli"
		}
		if err := checkEndpoints(ctx, srv, id); err != nil {
			return err
		}
		res, err := srv.engine.ResolveOperation(ctx, getpaid.ResolveRequest{OperationID: id, As: getpaid.OperationState(*as), Note: *note, By: *by, Seen: seenAt})
		if fe := (*getpaid.FieldError)(nil); errors.As(err, &fe) && errors.Is(err, getpaid.ErrInvalidRequest) && (fe.Field == "note" || fe.Field == "by") {
			return fmt.Errorf("operations resolve: --%s: %s", fe.Field, fe.Reason) // not the layers it went through
		}
		if oe := (*getpaid.OperationError)(nil); errors.As(err, &oe) && errors.Is(err, getpaid.ErrConflict) && oe.Op.State == getpaid.OpSubmitting {
			return fmt.Errorf("operation %s is submitting since %s: its broker call may still be running, and its answer settles it; "+
				"if the process making it stopped, it can be resolved once resume_operations_after has passed since then (operations show says what the reconciler found)",
				oe.Op.ID, oe.Op.CreatedAt.Format(time.RFC3339))
		}
		if oe := (*getpaid.OperationError)(nil); errors.As(err, &oe) && errors.Is(err, getpaid.ErrConflict) {
			return resolveConflict(oe)
		}
		if err != nil {
			return err
		}
		printOperation(stdout, res.Operation)
		fmt.Fprintf(stdout, "payment %s is now %s\n", res.Payment.ID, res.Payment.Status)
		return nil
	}
	return fs.usage("unknown %q", verb)
}

// resolveConflict is what operations resolve says of a resolution refused
// as a conflict (not one whose broker call may still run): an operation
// settled since, or one still in doubt that the engine refused to resolve
// for a reason of its own (a refund a notification may have counted
// already, a payment that changed meanwhile), which says what to do.
func resolveConflict(oe *getpaid.OperationError) error {
	if !oe.Op.State.Final() || oe.Op.Flagged { // settled and flagged: resolved as another state
		return fmt.Errorf("operation %s (%s, %s) not resolved: %s", oe.Op.ID, oe.Op.Kind, oe.Op.State,
			oe.Reason())
	}
	how := "by what the broker said (its answer, a notification or a check)"
	if oe.Op.ResolvedBy != "" {
		how = fmt.Sprintf("by %s (%q)", oe.Op.ResolvedBy, oe.Op.Note)
	}
	return fmt.Errorf("operation %s has already %s, settled %s: nothing to resolve", oe.Op.ID, oe.Op.State, how)
}

func printOperation(w io.Writer, op *getpaid.Operation) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, row := range [][2]string{
		{"id", op.ID}, {"payment", op.PaymentID}, {"backend", op.Backend}, {"kind", string(op.Kind)},
		{"state", string(op.State)}, {"amount", op.Amount.String()}, {"idempotency key", op.IdempotencyKey},
		{"broker ref", op.BrokerRef}, {"error", op.Error}, {"checks", fmt.Sprint(op.Attempts)},
		{"last check", op.LastCheck},
		{"flagged", fmt.Sprint(op.Flagged)}, {"resolved by", op.ResolvedBy}, {"note", op.Note},
		{"created", op.CreatedAt.Format(time.RFC3339)}, {"updated", op.UpdatedAt.Format(time.RFC3339Nano)}, // to the nanosecond: resolve --seen takes it
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], termText(row[1])) // a broker's words among them
	}
	_ = tw.Flush()
}

// cmdEvents is "getpaid events list|show|replay|backfill|discard".
func cmdEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	synopsis := "list [--status pending|delivered|dead|discarded] [--endpoint URL] [--payment ID] | show ID | replay ID|--dead|--waiting [--endpoint URL] | backfill --endpoint URL --since TIME | discard --endpoint URL [--by NAME]"
	fs := newFlags("events", synopsis, "getpaid events replay --dead --endpoint https://shop.example/hooks/getpaid --config getpaid.yaml")
	// Every flag is defined before the positional arguments are read, so
	// that --help in their place lists them all.
	path := fs.String("config", "getpaid.yaml", "config file")
	status := fs.String("status", "", "list: only deliveries in this state: pending, delivered, dead, discarded")
	endpoint := fs.String("endpoint", "", "list, replay: only this webhook endpoint's deliveries (its URL as in webhooks:, or webhook:URL; list shows its query's values hidden); backfill: the endpoint added to webhooks:; discard: the endpoint removed from webhooks:")
	payment := fs.String("payment", "", "list: only this payment's deliveries (its id)")
	since := fs.String("since", "", "backfill: the first event's time to send (not in the future), in RFC 3339 (2026-12-01T00:00:00Z) or as a duration back from now (72h)")
	by := fs.String("by", os.Getenv("USER"), "discard: who discards, kept with each delivery ($USER; \"an operator\" when that is unset)")
	dead := fs.Bool("dead", false, "replay: every dead delivery")
	waiting := fs.Bool("waiting", false, "replay: send now every delivery waiting for a retry (an endpoint back after an outage); attempts so far stay")
	verb, rest, err := fs.positional(args, "list, show, replay, backfill or discard")
	if err != nil {
		return err
	}
	if verb != "list" && verb != "show" && verb != "replay" && verb != "backfill" && verb != "discard" {
		return fs.usage("unknown %q: want list, show, replay, backfill or discard", verb)
	}
	var id string
	if verb == "list" || verb == "discard" || verb == "backfill" {
		err = fs.parse(rest)
	} else {
		id, err = fs.parseWithID(rest, "the event id", verb == "show")
	}
	if err != nil {
		return err
	}
	// A flag of another verb would be ignored in silence: "replay ID
	// --status dead" would send the delivered webhooks again too.
	if err := fs.takes(verb, map[string][]string{"list": {"status", "endpoint", "payment"}, "show": nil,
		"replay": {"endpoint", "dead", "waiting"}, "backfill": {"endpoint", "since"}, "discard": {"endpoint", "by"}}[verb]...); err != nil {
		return err
	}
	if err := fs.givenEmpty("status", "endpoint", "payment"); err != nil {
		return err
	}
	// The endpoint's URL, or its name as list shows it ("webhook:URL").
	if given := *endpoint; fs.given("endpoint") {
		// "webhook:" alone ("webhook:$URL", $URL unset) is no endpoint
		// named, not every endpoint.
		if *endpoint = strings.TrimPrefix(given, "webhook:"); strings.TrimSpace(*endpoint) == "" {
			return fs.usage("--endpoint %q names no URL: give the endpoint's URL as in webhooks:", given)
		}
	}
	if st := getpaid.DeliveryState(*status); verb == "list" && st != "" && !st.Valid() {
		return fs.usage("--status %q: want pending, delivered, dead or discarded", *status)
	}
	var from time.Time
	if verb == "backfill" {
		if *endpoint == "" {
			return fs.usage("backfill needs --endpoint URL: the endpoint added to webhooks:")
		}
		if from, err = sinceFlag(*since, time.Now()); err != nil {
			return fs.usage("--since %q: want a time in RFC 3339 (2026-12-01T00:00:00Z) or a duration back from now (72h)", *since)
		}
		if now := time.Now(); from.After(now) {
			return fs.usage("--since %q is in the future (it is %s): no event is written then; name the time of the first event to send", *since, now.UTC().Format(time.RFC3339))
		}
	}
	if verb == "discard" && *endpoint == "" {
		return fs.usage("discard needs --endpoint URL: the endpoint removed from webhooks:")
	}
	if verb == "discard" && fs.given("by") && strings.TrimSpace(*by) == "" {
		return fs.usage("--by is blank: name who discards (or leave it out for $USER, or \"an operator\" when that is unset)")
	}
	if verb == "replay" && id == "" && !*dead && !*waiting {
		return fs.usage("name an event id, or --dead, or --waiting")
	}
	if verb == "replay" && *waiting && (id != "" || *dead) {
		return fs.usage("--waiting names no event and goes without --dead")
	}
	srv, err := openRecords(ctx, *path, stderr)
	if err != nil {
		return err
	}
	defer srv.Close()
	cons := ""
	if *endpoint != "" {
		cons = "webhook:" + *endpoint
	}
	switch verb {
	case "discard":
		n, err := srv.engine.Discard(ctx, cons, *by)
		if err != nil {
			return refusedEndpoint(err, verb, srv, *endpoint)
		}
		what := fmt.Sprintf("%d deliveries", n)
		if n == 1 {
			what = "1 delivery"
		}
		fmt.Fprintf(stdout, "%s to %s discarded (pending or dead; never sent now, and out of the backlog)\n", what, getpaid.ShownURL(*endpoint))
		return nil
	case "backfill":
		n, err := srv.engine.Backfill(ctx, cons, from)
		if err != nil {
			return refusedEndpoint(err, verb, srv, *endpoint)
		}
		what := fmt.Sprintf("%d events", n)
		if n == 1 {
			what = "1 event"
		}
		fmt.Fprintf(stdout, "%s since %s due to %s; a running server sends them within a second\n", what, from.UTC().Format(time.RFC3339), getpaid.ShownURL(*endpoint))
		return nil
	case "list":
		page, err := srv.engine.Deliveries(ctx, getpaid.DeliveryFilter{State: getpaid.DeliveryState(*status), Consumer: cons, PaymentID: *payment, Limit: getpaid.MaxPageSize})
		if err != nil {
			return refusedEndpoint(err, verb, srv, *endpoint)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EVENT\tPAYMENT\tCONSUMER\tSTATUS\tATTEMPTS\tNEXT\tLAST")
		for _, d := range page.Deliveries {
			next, last := "", deliveryOutcome(d)
			if d.State == getpaid.DeliveryPending {
				next = d.NextAt.Format(time.RFC3339)
				if d.WaitsFor != "" {
					last = "waits for " + d.WaitsFor + " (an earlier event of its payment, not yet delivered)"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.EventID, d.PaymentID, getpaid.ShownConsumer(d.Consumer), d.State, d.Attempts, next, termText(last))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		sayCut(stderr, page.NextCursor, "getpaid events: the newest %d deliveries are listed; there are more (narrow with --status, --endpoint or --payment, or page through GET /api/v1/events)", len(page.Deliveries))
		if len(page.Deliveries) == 0 && len(srv.webhooks) == 0 {
			// An empty table would read as "nothing happened".
			fmt.Fprintln(stderr, "getpaid events: no deliveries, and this config has no webhooks: a server sends events only to its webhooks: endpoints (and a library's listeners); see README, \"Webhooks\"")
		}
		if *endpoint != "" && !slices.ContainsFunc(srv.webhooks, func(w webhookConfig) bool { return w.URL == *endpoint }) {
			// Listed all the same (an endpoint removed since), but a typo
			// must not pass for "no dead delivery".
			var urls []string
			for _, w := range srv.webhooks {
				urls = append(urls, getpaid.ShownURL(w.URL))
			}
			known := "it names none"
			if len(urls) > 0 {
				known = "they are: " + strings.Join(urls, ", ")
			}
			fmt.Fprintf(stderr, "getpaid events: %s is not in this config's webhooks: (%s)\n", getpaid.ShownURL(*endpoint), known)
		}
		return nil
	case "show":
		ev, err := srv.engine.Event(ctx, id)
		if err != nil {
			return notFound(err, "event", id, srv)
		}
		fmt.Fprintf(stdout, "%s %s payment %s (order %s, %s): %s, %s captured %s refunded %s, at %s\n", ev.ID, ev.Type,
			ev.PaymentID, ev.OrderID, ev.Backend, eventChange(*ev), ev.Amount, ev.Captured.Decimal(), ev.Refunded.Decimal(), ev.At.Format(time.RFC3339))
		if ev.Cause != "" {
			fmt.Fprintf(stdout, "  cause: %q\n", ev.Cause) // quoted: part of it is the broker's words
		}
		page, err := srv.engine.Deliveries(ctx, getpaid.DeliveryFilter{EventID: id, Limit: getpaid.MaxPageSize})
		if err != nil {
			return err
		}
		for _, d := range page.Deliveries {
			atts, err := srv.engine.Attempts(ctx, d.ID)
			if err != nil {
				return err
			}
			// More listed than counted: a replay starts the count and the
			// schedule again, the attempts before it still listed, and an
			// attempt not sent (failing on getpaid's side, or a discard) is
			// listed but never counted. Which of them it was is not kept.
			uncounted := len(atts) > d.Attempts
			after := afterAttempts(d.Attempts)
			if uncounted {
				after = strings.Replace(after, "recorded", "counted", 1)
			}
			fmt.Fprintf(stdout, "  %s: %s%s", getpaid.ShownConsumer(d.Consumer), d.State, after)
			if d.State == getpaid.DeliveryDiscarded && d.LastError != "" {
				fmt.Fprintf(stdout, " (%s)", termText(d.LastError)) // who discarded it, as list shows
			}
			if uncounted {
				fmt.Fprintf(stdout, " (%d in all: those before it was last replayed, and those not sent, failing on getpaid's side or discarded, are not counted)", len(atts))
			}
			fmt.Fprintln(stdout)
			for _, a := range atts {
				fmt.Fprintf(stdout, "    %s  %s  (%s)\n", a.At.Format(time.RFC3339), termText(lastOutcome(a.Status, a.Error)), a.Duration.Round(time.Millisecond))
			}
		}
		return nil
	case "replay":
		var gone map[string]time.Time
		if !*waiting {
			gone = goneLately(ctx, srv, id, cons)
		}
		n, err := srv.engine.Replay(ctx, getpaid.ReplayRequest{EventID: id, DeadOnly: *dead, Waiting: *waiting, Consumer: cons})
		if err != nil {
			return refusedEndpoint(notFound(err, "event", id, srv), verb, srv, *endpoint)
		}
		if n == 0 {
			fmt.Fprintf(stdout, "0 deliveries due again: %s\n", replayedNothing(ctx, srv, id, *dead, *waiting, cons))
		} else if n == 1 {
			fmt.Fprintln(stdout, "1 delivery due again; a running server delivers it within a second")
		} else {
			fmt.Fprintf(stdout, "%d deliveries due again; a running server delivers them within a second\n", n)
		}
		if n > 0 {
			for _, c := range slices.Sorted(maps.Keys(gone)) {
				fmt.Fprintf(stdout, "  but not to %s: it answered 410 Gone at %s, and a server that got that answer sends it nothing before %s;"+
					" replay through that server's API (POST /api/v1/events/replay_dead) or console to send now\n",
					getpaid.ShownURL(strings.TrimPrefix(c, "webhook:")), gone[c].UTC().Format(time.RFC3339), gone[c].Add(engine.GonePause).UTC().Format(time.RFC3339))
			}
		}
		if cons == "" && !*waiting {
			// Only the endpoints of this config were replayed: say if dead
			// deliveries to others are left (an endpoint removed, or one
			// the server has from its environment).
			left, err := srv.engine.Deliveries(ctx, getpaid.DeliveryFilter{EventID: id, State: getpaid.DeliveryDead, Limit: getpaid.MaxPageSize})
			if err == nil {
				for _, d := range left.Deliveries {
					if !slices.ContainsFunc(srv.webhooks, func(w webhookConfig) bool { return "webhook:"+w.URL == d.Consumer }) {
						fmt.Fprintf(stderr, "getpaid events: dead deliveries to endpoints not in this config's webhooks: are left dead, e.g. to %s (getpaid events list --status dead lists them)\n",
							getpaid.ShownURL(strings.TrimPrefix(d.Consumer, "webhook:")))
						break
					}
				}
			}
		}
		return nil
	}
	return fs.usage("unknown %q", verb)
}

// deliveryOutcome shows what a delivery's last attempt got, or that none is
// recorded: never "not tried yet", since an attempt whose process died
// before it wrote the answer down may have reached the endpoint.
func deliveryOutcome(d *getpaid.Delivery) string {
	if d.Attempts == 0 && d.LastError == "" { // one discarded untried says why
		return "no attempt recorded"
	}
	return lastOutcome(d.LastStatus, d.LastError)
}

// lastOutcome shows an attempt's result: "HTTP 500", an error, or "ok".
func lastOutcome(status int, errText string) string {
	switch {
	case errText != "":
		return errText
	case status != 0:
		return fmt.Sprintf("HTTP %d", status)
	}
	return "ok"
}

// sayCut says on stderr that a listing shows one page of more, when the
// page has a next one: a cut list must not pass for all of them (the dead
// letters, the operations in doubt).
func sayCut(stderr io.Writer, next, format string, n int) {
	if next != "" {
		fmt.Fprintf(stderr, format+"\n", n)
	}
}

// replayedNothing says why a replay made no delivery due again: a named
// event's deliveries are still pending (sent, or waiting for a retry, which
// --waiting brings forward), or there are none to replay.
func replayedNothing(ctx context.Context, srv *server, id string, dead, waiting bool, consumer string) string {
	to := " to an endpoint in webhooks:"
	if consumer != "" {
		to = " to that endpoint"
	}
	switch {
	case waiting:
		return "no delivery" + to + " waits for a retry"
	case dead && id != "":
		return "the event has no dead delivery" + to
	case dead:
		return "there is no dead delivery" + to
	}
	page, err := srv.engine.Deliveries(ctx, getpaid.DeliveryFilter{EventID: id, Consumer: consumer, State: getpaid.DeliveryPending, Limit: 1})
	if err == nil && len(page.Deliveries) > 0 {
		return "its deliveries are still pending, being sent or waiting for a retry " +
			"(getpaid events replay --waiting sends what waits now; getpaid events show " + id + " lists the attempts)"
	}
	// The engine leaves out the endpoints whose events: no longer take the
	// event's type: say so of one that has a delivery of it.
	if ev, err := srv.engine.Event(ctx, id); err == nil {
		if page, err := srv.engine.Deliveries(ctx, getpaid.DeliveryFilter{EventID: id, Limit: getpaid.MaxPageSize}); err == nil {
			for _, w := range srv.webhooks {
				if len(w.Events) > 0 && !slices.Contains(w.Events, string(ev.Type)) &&
					slices.ContainsFunc(page.Deliveries, func(d *getpaid.Delivery) bool { return d.Consumer == "webhook:"+w.URL }) {
					return fmt.Sprintf("%s no longer takes %s events (its events: in webhooks:), so it is not sent them again", getpaid.ShownURL(w.URL), ev.Type)
				}
			}
		}
	}
	return "the event has no delivery" + to
}

// checkEndpoints refuses to resolve operation id with a config that lacks a
// webhook endpoint the payment's events were delivered to: the resolution's
// status change is delivered to this config's endpoints only, so the shop
// would never hear of it (the server may have its webhooks: from its
// environment, which this tool does not share).
func checkEndpoints(ctx context.Context, srv *server, id string) error {
	op, err := srv.engine.Operation(ctx, id)
	if err != nil {
		return notFound(err, "operation", id, srv)
	}
	page, err := srv.engine.Deliveries(ctx, getpaid.DeliveryFilter{PaymentID: op.PaymentID, Limit: getpaid.MaxPageSize})
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, w := range srv.webhooks {
		known["webhook:"+w.URL] = true
	}
	for _, d := range page.Deliveries {
		if url, ok := strings.CutPrefix(d.Consumer, "webhook:"); ok && !known[d.Consumer] {
			return fmt.Errorf("operations resolve: payment %s's events went to %s, which %s's webhooks: does not name: "+
				"the resolution would reach no such endpoint; run with the server's webhooks: (GETPAID_WEBHOOKS too, if it has them from there), "+
				"or resolve through the server: POST /api/v1/operations/%s/resolve or the console", op.PaymentID, getpaid.ShownURL(url), srv.cfg.source, id)
		}
	}
	return nil
}

// notFound says plainly that the database of srv's config holds no such
// record, without the layers the error went through (engine, store);
// other errors are returned as they are. It names where the database came
// from: the config file, or the environment variable that overrode it.
func notFound(err error, what, id string, srv *server) error {
	if errors.Is(err, getpaid.ErrNotFound) {
		from := srv.cfg.source
		if n := lookupKey(srv.cfg.root, "database"); n != nil {
			if v, ok := strings.CutPrefix(n.LineComment, envPrefix); ok {
				from = v
			}
		}
		return fmt.Errorf("%s %s: %w in the database %s names", what, id, getpaid.ErrNotFound, from)
	}
	return err
}

// eventChange says what an event did to its payment's status: "from -> to",
// "created, new" (a creation has no from) or "amounts changed, still to".
func eventChange(ev getpaid.Event) string {
	switch {
	case ev.From == "":
		return "created, " + string(ev.To)
	case ev.Type == getpaid.EventAmountsChanged:
		return "amounts changed, still " + string(ev.To)
	}
	return string(ev.From) + " -> " + string(ev.To)
}

// refusedEndpoint says why the engine refused an events command, in the
// operator's words: the reason alone (without the engine's layers), with
// the endpoints named by their URLs, as the config and --endpoint name
// them, not by their consumer names ("webhook:URL"). Other errors are
// returned as they are.
func refusedEndpoint(err error, verb string, srv *server, endpoint string) error {
	var fe *getpaid.FieldError
	if !errors.As(err, &fe) || !errors.Is(err, getpaid.ErrInvalidRequest) {
		return err
	}
	urls := []string{endpoint}
	for _, w := range srv.webhooks {
		urls = append(urls, w.URL)
	}
	reason := fe.Reason
	for _, u := range urls {
		if u != "" {
			reason = strings.ReplaceAll(reason, getpaid.ShownConsumer("webhook:"+u), getpaid.ShownURL(u))
		}
	}
	if fe.Field == "by" {
		reason = "--by: " + reason // the endpoint goes without saying
	}
	return fmt.Errorf("events %s: %s", verb, reason)
}

// afterAttempts says how many recorded attempts a delivery's state came
// after (one cut off by a crash is not recorded: the endpoint may have had
// it once more).
func afterAttempts(n int) string {
	switch n {
	case 0:
		return ", no attempt recorded"
	case 1:
		return " after 1 recorded attempt"
	}
	return fmt.Sprintf(" after %d recorded attempts", n)
}

// sinceFlag reads --since: a time in RFC 3339, or a duration back from now.
func sinceFlag(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Parse(time.RFC3339Nano, v)
}

// goneLately is, by consumer, when the endpoints in srv's webhooks: whose
// dead deliveries a replay (of event id, or every dead one; of consumer,
// or every endpoint) makes due last answered 410 Gone, for those that did
// less than engine.GonePause ago: a server that got the answer sends such
// an endpoint nothing until then, and hears a replay of its own API or
// console only, not this process's.
func goneLately(ctx context.Context, srv *server, id, consumer string) map[string]time.Time {
	page, err := srv.engine.Deliveries(ctx, getpaid.DeliveryFilter{EventID: id, Consumer: consumer, State: getpaid.DeliveryDead, Limit: getpaid.MaxPageSize})
	if err != nil {
		return nil // the replay says what is wrong
	}
	gone := map[string]time.Time{}
	for _, d := range page.Deliveries {
		if d.LastStatus != http.StatusGone || time.Since(d.UpdatedAt) >= engine.GonePause ||
			!slices.ContainsFunc(srv.webhooks, func(w webhookConfig) bool { return "webhook:"+w.URL == d.Consumer }) {
			continue
		}
		if d.UpdatedAt.After(gone[d.Consumer]) {
			gone[d.Consumer] = d.UpdatedAt
		}
	}
	return gone
}
