package getpaid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Backend is a configured broker under a name. Several backends may share a
// kind (two PayU points of sale, one per currency): the name tells them apart
// in URLs and on stored payments.
type Backend struct {
	Name   string // "payu_pln": used in URLs and stored on payments
	Kind   string // "payu": which broker it speaks to; defaults to Name
	Title  string // shown to buyers on the payment-method form
	Broker Broker
}

// Registry is the set of enabled backends. It is an immutable value built from
// an explicit list; there is no global registration. Its brokers serve one
// base URL, the first Provision's: engines sharing a registry share that.
// A broker value belongs to one registry: give each registry brokers of its
// own (New them again). The brokers of broker/* refuse being provisioned
// for a second base URL or name (getpaid.ErrInvalidRequest: the second
// registry's Provision, and its engine.New, fail), as the first registry's
// payments would otherwise send buyers and notifications there.
type Registry struct {
	byName map[string]Backend
	order  []string

	mu   sync.Mutex
	base string // what Provision gave the brokers; "" before
}

var backendName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// NewRegistry builds a registry, refusing duplicate or malformed names,
// one broker value under two names (a broker learns one name, and its
// callback URL, from Provision), and backends that list unknown currencies
// or one currency twice.
func NewRegistry(backends ...Backend) (*Registry, error) {
	r := &Registry{byName: make(map[string]Backend, len(backends))}
	owner := map[uintptr]string{} // a broker's address: the backend it serves
	for _, b := range backends {
		if !backendName.MatchString(b.Name) {
			return nil, fmt.Errorf("registry: backend name %q: want a lower-case letter first, then lower-case letters, digits, - or _, 32 at most", b.Name)
		}
		if b.Broker == nil {
			return nil, fmt.Errorf("registry: backend %q has no broker", b.Name)
		}
		if v := reflect.ValueOf(b.Broker); v.Kind() == reflect.Pointer && v.IsNil() {
			// Its New failed and the error was dropped: every call
			// would panic, this function's first.
			return nil, fmt.Errorf("registry: backend %q has a nil %T as its broker", b.Name, b.Broker)
		}
		if _, dup := r.byName[b.Name]; dup {
			return nil, fmt.Errorf("registry: backend %q listed twice", b.Name)
		}
		if v := reflect.ValueOf(b.Broker); v.Kind() == reflect.Pointer && v.Type().Elem().Size() > 0 {
			// A broker learns one name when provisioned: under two, the
			// first's payments would carry the second's callback URL and
			// pages, and their notifications be refused as another
			// backend's. (Distinct zero-size values may share an address.)
			if first, ok := owner[v.Pointer()]; ok {
				return nil, fmt.Errorf("registry: backends %q and %q share one broker: give each its own (New it twice)", first, b.Name)
			}
			owner[v.Pointer()] = b.Name
		}
		cs := b.Broker.Currencies()
		for i, c := range cs {
			if !KnownCurrency(c) {
				return nil, fmt.Errorf("registry: backend %q: %w %q", b.Name, ErrUnknownCurrency, c)
			}
			if slices.Contains(cs[:i], c) {
				return nil, fmt.Errorf("registry: backend %q: currency %s listed twice", b.Name, c)
			}
		}
		if b.Title == "" {
			b.Title = b.Name
		}
		if b.Kind == "" {
			b.Kind = b.Name
		}
		r.byName[b.Name] = b
		r.order = append(r.order, b.Name)
	}
	return r, nil
}

// Get returns the backend called name.
func (r *Registry) Get(name string) (Backend, bool) {
	b, ok := r.byName[name]
	return b, ok
}

// Names lists backend names in the order they were given.
func (r *Registry) Names() []string { return slices.Clone(r.order) }

// All lists the backends in the order they were given.
func (r *Registry) All() []Backend { return r.ForCurrency("") }

// Accepts reports whether backend name accepts currency.
func (r *Registry) Accepts(name, currency string) bool {
	b, ok := r.byName[name]
	return ok && slices.Contains(b.Broker.Currencies(), currency)
}

// ForCurrency lists the backends accepting currency, in registry order. An
// empty currency lists all.
func (r *Registry) ForCurrency(currency string) []Backend {
	var out []Backend
	for _, n := range r.order {
		b := r.byName[n]
		if currency == "" || slices.Contains(b.Broker.Currencies(), currency) {
			out = append(out, b)
		}
	}
	return out
}

// Provision gives every backend whose broker implements Provisioner its
// environment for a handler mounted at baseURL. The engine calls it once.
// A registry provisioned already may be provisioned again for the same base
// URL (a second engine on it: a tool beside the server); another is refused
// (getpaid.ErrInvalidRequest), as its brokers would send the first engine's
// buyers and notifications there. So is another after a Provision that
// failed part-way, once a backend before the failing one learnt its URL.
func (r *Registry) Provision(ctx context.Context, baseURL string, log *slog.Logger) error {
	base := strings.TrimRight(baseURL, "/")
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.base != "" && r.base != base {
		return fmt.Errorf("registry: %w: its backends serve %s, not %s (a registry's brokers learn one base URL: build another registry, with brokers of its own, for another)", ErrInvalidRequest, r.base, base)
	}
	provisioned := false
	for _, n := range r.order {
		b := r.byName[n]
		if p, ok := b.Broker.(Provisioner); ok {
			if err := p.Provision(ctx, NewEnv(b.Name, baseURL, log)); err != nil {
				if provisioned {
					// Those before it learnt this base URL (broker/*
					// keep the first): another is refused here, naming
					// it, not by one of them as if in two registries.
					r.base = base
				}
				return fmt.Errorf("registry: provision backend %q: %w", b.Name, err)
			}
			provisioned = true
		}
	}
	r.base = base
	return nil
}

// Close closes every broker that implements io.Closer (those holding
// goroutines or connections), in reverse order, and reports every error.
func (r *Registry) Close() error {
	var errs []error
	for i := len(r.order) - 1; i >= 0; i-- {
		b := r.byName[r.order[i]]
		if c, ok := b.Broker.(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("backend %q: close: %w", b.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Currencies returns a backend's currencies sorted.
func Currencies(b Broker) []string {
	c := slices.Clone(b.Currencies())
	sort.Strings(c)
	return c
}
