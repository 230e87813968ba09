package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/engine"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/sqlite"
)

// cmdCallback verifies a captured callback without changing anything.
func cmdCallback(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("callback check", "--config FILE --backend NAME [--header \"K: V\"]... [--remote-ip IP] < body",
		"getpaid callback check --config getpaid.yaml --backend payu --header \"OpenPayu-Signature: sender=checkout;signature=…;algorithm=MD5\" < body.json")
	path := fs.String("config", "getpaid.yaml", "config file")
	name := fs.String("backend", "", "backend that received the callback (required)")
	remote := fs.String("remote-ip", "", "sender's address, to check the backend's IP allowlist too")
	var headers headerFlags
	fs.Var(&headers, "header", `a request header, "Name: value" (repeatable)`)
	verb, rest, err := fs.positional(args, "check")
	if err != nil {
		return err
	}
	if verb != "check" {
		return fs.usage("unknown %q: the command is getpaid callback check", verb)
	}
	if err := fs.parse(rest); err != nil {
		return err
	}
	if *name == "" {
		return fs.usage("--backend is required: the backend that received the callback")
	}
	// --remote-ip "$IP" with IP unset: the allowlist unchecked, "valid"
	// for a callback serve refuses for its address.
	if err := fs.givenEmpty("remote-ip"); err != nil {
		return err
	}
	if *remote != "" {
		if _, err := netip.ParseAddr(*remote); err != nil {
			return fs.usage("--remote-ip %q: want an IPv4 or IPv6 address, without a port", *remote)
		}
	}
	c, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	reg, err := buildRegistry(c)
	if err != nil {
		return err
	}
	defer reg.Close()
	if err := reg.Provision(ctx, c.BaseURL, nil); err != nil {
		return err
	}
	b, ok := reg.Get(*name)
	if !ok {
		// A mistake in the command, not an invalid callback.
		return fs.usage("--backend %q is not enabled in %s (enabled: %s)", *name, *path, strings.Join(reg.Names(), ", "))
	}
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			// A terminal: say what is awaited rather than wait in silence.
			fmt.Fprintln(stderr, "reading the callback's body from standard input: paste it and press Ctrl+D (or run again with < body.json)")
		}
	}
	body, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return fs.usage("the body on standard input is empty: give the callback's body as the broker sent it (< body.json)")
	}
	if bytes.HasSuffix(body, []byte("\n")) {
		// Brokers sign the exact bytes they send; an editor or `echo`
		// adds a newline they did not.
		fmt.Fprintln(stdout, "warning: the body ends with a newline: brokers sign the exact bytes they send, and a newline is often added when a body is saved (echo, an editor); if the signature fails, save it with printf or cut the newline")
	}
	if *remote != "" {
		if al, ok := b.Broker.(getpaid.IPAllowlister); ok && !al.AllowCallbackFrom(*remote) {
			return &exitError{code: 1, msg: fmt.Sprintf("invalid: %s is not an address %s sends callbacks from", *remote, *name)}
		}
	}
	req := &getpaid.CallbackRequest{Method: http.MethodPost, Header: http.Header(headers), Body: body, RemoteIP: *remote}
	verified := false
	if v, ok := b.Broker.(getpaid.CallbackVerifier); ok {
		if err := v.VerifyCallback(ctx, req); err != nil {
			return &exitError{code: 1, msg: "invalid: " + err.Error()}
		}
		verified = true
	}
	obs, err := b.Broker.ParseCallback(ctx, req)
	if err != nil {
		msg := "invalid: " + err.Error()
		if verified {
			msg = "invalid: the signature is valid, but getpaid would refuse the body: " + err.Error()
		}
		return &exitError{code: 1, msg: msg}
	}
	obs.StorableIDs() // as serve's engine takes them, and every store keeps them
	fmt.Fprintln(stdout, "valid")
	// The broker's words, some unsigned (Tpay's tr_error), printed with
	// their control characters escaped (termText).
	fmt.Fprintf(stdout, "  payment: %s\n", termText(obs.PaymentID))
	if obs.ExternalID != "" { // the dummy broker's callbacks name none
		fmt.Fprintf(stdout, "  broker id: %s\n", termText(obs.ExternalID))
	}
	fmt.Fprintf(stdout, "  event: %s\n  says: %s", termText(obs.EventID), obs.Kind)
	if obs.BrokerStatus != "" {
		fmt.Fprintf(stdout, " (%s)", termText(obs.BrokerStatus))
	}
	if !obs.Amount.IsZero() {
		fmt.Fprintf(stdout, " %s", obs.Amount)
	}
	fmt.Fprintln(stdout)
	if obs.Unrecognized {
		fmt.Fprintln(stdout, "  note: getpaid does not know this status: it would acknowledge the notification, change nothing and log it at error level with the payment")
	}
	// How serve takes it: a broker that confirms notifications (Przelewy24)
	// has the fact applied before its event is looked up (one that changes
	// nothing is not looked up); a refund a broker counts (Tpay) is keyed
	// by the broker's list of refunds, read (nothing changes at the broker).
	_, confirms := b.Broker.(getpaid.CallbackConfirmer)
	counter, _ := b.Broker.(getpaid.RefundCounter)
	if obs.Kind != getpaid.KindRefunded || obs.OperationID != "" || obs.BrokerRef != "" || obs.PaymentID == "" {
		counter = nil
	}
	return checkAgainstPayment(ctx, c.Database, b.Name, obs, confirms && obs.Kind != getpaid.KindNone, counter, stdout)
}

// checkAgainstPayment looks the notification's payment up in the database,
// when it can be read without changing it, and says what getpaid would do
// with the notification: an unknown payment is acknowledged and ignored,
// a wrong amount or currency refused (both exit 1), a repeat of an event
// applied before answered as a duplicate. confirms: serve applies the fact
// before it looks the event up, and does not when it changes nothing (a
// broker that confirms notifications);
// counter: the broker whose list of refunds keys the notification, as
// serve keys it (nil: its own event).
func checkAgainstPayment(ctx context.Context, database, backend string, obs *getpaid.Observation, confirms bool, counter getpaid.RefundCounter, stdout io.Writer) error {
	store, err := openForCheck(ctx, database)
	if err != nil {
		fmt.Fprintf(stdout, "  (payment not looked up: %v)\n", err)
		return nil
	}
	defer store.Close()
	var p *getpaid.Payment
	if obs.PaymentID != "" {
		p, err = store.Payment(ctx, obs.PaymentID)
	}
	if (p == nil || errors.Is(err, getpaid.ErrNotFound)) && obs.ExternalID != "" {
		p, err = store.PaymentByExternalID(ctx, backend, obs.ExternalID)
	}
	if (p == nil || errors.Is(err, getpaid.ErrNotFound)) && obs.OperationID != "" {
		// A refund's end naming only getpaid's operation (Dotpay's
		// control op_... without operation_related_number), as the
		// engine finds it.
		var op *getpaid.Operation
		if op, err = store.Operation(ctx, obs.OperationID); err == nil {
			p, err = store.Payment(ctx, op.PaymentID)
		}
	}
	switch {
	case p == nil && (err == nil || errors.Is(err, getpaid.ErrNotFound)):
		return &exitError{code: 1, msg: fmt.Sprintf("ignored: getpaid has no payment %s (broker id %q) in %s: it would acknowledge the notification and change nothing",
			obs.PaymentID, obs.ExternalID, redact(database))}
	case err != nil:
		fmt.Fprintf(stdout, "  (payment not looked up: %v)\n", err)
		return nil
	}
	fmt.Fprintf(stdout, "  found: payment %s of %s, %s, %s, amount %s (captured %s)\n", p.ID, p.OrderID, p.Backend, p.Status, p.Amount, p.Money(p.Captured))
	if p.Backend != backend {
		return &exitError{code: 1, msg: fmt.Sprintf("refused: payment %s belongs to backend %s, not %s", p.ID, p.Backend, backend)}
	}
	// The engine's own search, without asking the broker. Its error is a
	// fact naming another payment's operation: no refund of this one.
	if op, _ := engine.EndedRefund(ctx, store, p.ID, obs); op != nil {
		fmt.Fprintf(stdout, "  would change nothing: a duplicate (refund %s ended %s already: its answer, a lookup or an operator), as serve would answer it\n", op.ID, op.State)
		return nil
	}
	event := obs.EventID
	if counter != nil {
		// serve applies it as the first refund of its amount the broker
		// lists whose event is not applied, a repeat of the last once
		// every one is, under its own event when it lists none.
		ids, err := counter.RefundEventIDs(ctx, p, obs)
		if err != nil {
			fmt.Fprintf(stdout, "  (whether its event was applied before not looked up: the broker's refunds: %v)\n", err)
			return nil
		}
		for _, id := range ids {
			applied, err := store.EventApplied(ctx, p.ID, backend+":"+id)
			if err != nil {
				fmt.Fprintf(stdout, "  (whether its event was applied before not looked up: %v)\n", err)
				return nil
			}
			event = id
			if !applied {
				break
			}
		}
	}
	dry := p.Clone()
	changed, err := getpaid.Apply(dry, obs)
	second := err == nil && engine.SecondTransaction(p, obs)
	repeat := false
	if k := engine.EventKey(backend, &getpaid.Observation{EventID: event}); k != "" && (!confirms || err != nil || changed || second) {
		// serve records every fact it applies under its event's key, and
		// answers a repeat as a duplicate without applying it; a broker
		// that confirms has a fact that changes nothing answered so
		// without the key read, and one refused looked up as any.
		var lerr error
		if repeat, lerr = store.EventApplied(ctx, p.ID, k); lerr != nil {
			fmt.Fprintf(stdout, "  (whether its event was applied before not looked up: %v)\n", lerr)
			return nil
		}
	}
	switch {
	case repeat:
		fmt.Fprintf(stdout, "  would change nothing: a duplicate (its event %s was applied before), as serve would answer it\n", termText(event))
	case errors.Is(err, getpaid.ErrAmountMismatch):
		// The error names both sides already (broker says X, payment is Y).
		return &exitError{code: 1, msg: fmt.Sprintf("refused: %v: getpaid would answer 422 and change nothing", err)}
	case err != nil:
		fmt.Fprintf(stdout, "  would change nothing: %v\n", err)
	case second:
		fmt.Fprintf(stdout, "  would record it as a second transaction of the payment (a buyer who paid twice): not counted, its money is at the broker (listed on the console's payment page)\n")
	case changed:
		fmt.Fprintf(stdout, "  would change the payment: %s -> %s\n", p.Status, dry.Status)
	default:
		fmt.Fprintf(stdout, "  would change nothing: the payment already says so\n")
	}
	return nil
}

// openForCheck opens the database a callback check reads, without
// migrating or creating anything: a SQLite file that exists, or
// PostgreSQL. Errors name the database without its password.
func openForCheck(ctx context.Context, database string) (getpaid.Store, error) {
	if err := postgresBlanks(database); err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(database, "sqlite:"):
		file := strings.TrimPrefix(database, "sqlite:")
		if _, err := os.Stat(file); err != nil {
			return nil, err
		}
		return sqlite.Open(ctx, file, sqlite.Options{NoMigrate: true})
	case isPostgres(database):
		s, err := postgres.Open(ctx, database, postgres.Options{NoMigrate: true})
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", redact(database), err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("database %q cannot be read from here", redact(database))
}
