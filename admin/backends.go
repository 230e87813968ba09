package admin

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"sync"

	"github.com/getpaid-go/getpaid"
)

// CallbackLog keeps, per backend, how many callbacks ended with each
// outcome or refusal reason since the process started, and the most recent
// ones. Feed it from the HTTP layer's callback hook (Record has the hook's
// signature). It holds at most MaxBackends backends (callbacks to others
// are counted under "(other)"), so requests to made-up backend names cannot
// grow it.
type CallbackLog struct {
	mu    sync.Mutex
	size  int
	known map[string]bool
	by    map[string]*backendLog
}

// MaxBackends bounds the backends a CallbackLog keeps apart.
const MaxBackends = 64

// otherBackend collects callbacks to backends the log does not keep.
const otherBackend = "(other)"

type backendLog struct {
	counts map[string]int64
	ring   []getpaid.CallbackReport
	next   int
}

// NewCallbackLog keeps the last recent callbacks of each of backends (the
// configured ones; callbacks naming others are counted together).
func NewCallbackLog(recent int, backends []string) *CallbackLog {
	if recent <= 0 {
		recent = 20
	}
	l := &CallbackLog{size: recent, known: map[string]bool{}, by: map[string]*backendLog{}}
	for _, b := range backends {
		if len(l.known) < MaxBackends {
			l.known[b] = true
		}
	}
	return l
}

// Record adds one callback report.
func (l *CallbackLog) Record(_ context.Context, r getpaid.CallbackReport) {
	l.mu.Lock()
	defer l.mu.Unlock()
	name := r.Backend
	if !l.known[name] {
		name = otherBackend
	}
	b := l.by[name]
	if b == nil {
		b = &backendLog{counts: map[string]int64{}}
		l.by[name] = b
	}
	b.counts[r.Label()]++
	if len(b.ring) < l.size {
		b.ring = append(b.ring, r)
		return
	}
	b.ring[b.next] = r
	b.next = (b.next + 1) % l.size
}

// CallbackSummary is what a CallbackLog knows of one backend.
type CallbackSummary struct {
	Accepted, Refused int64
	Counts            []LabelCount             // by outcome or reason, most frequent first
	Recent            []getpaid.CallbackReport // newest first
}

// LabelCount is how many callbacks ended with one outcome or reason.
type LabelCount struct {
	Label    string
	Refused  bool
	Count    int64
	Accepted bool
}

// Summary returns what the log knows of backend.
func (l *CallbackLog) Summary(backend string) CallbackSummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s CallbackSummary
	b := l.by[backend]
	if b == nil {
		return s
	}
	for label, n := range b.counts {
		accepted := isOutcome(label)
		s.Counts = append(s.Counts, LabelCount{Label: label, Count: n, Refused: !accepted, Accepted: accepted})
		if accepted {
			s.Accepted += n
		} else {
			s.Refused += n
		}
	}
	sort.Slice(s.Counts, func(i, j int) bool {
		a, b := s.Counts[i], s.Counts[j]
		return a.Count > b.Count || a.Count == b.Count && a.Label < b.Label
	})
	s.Recent = append(s.Recent, b.ring[b.next:]...)
	s.Recent = append(s.Recent, b.ring[:b.next]...)
	slices.Reverse(s.Recent)
	return s
}

func isOutcome(label string) bool {
	switch getpaid.Outcome(label) {
	case getpaid.OutcomeApplied, getpaid.OutcomeNoChange, getpaid.OutcomeDuplicate, getpaid.OutcomeUnknown, getpaid.OutcomeSecondTransaction:
		return true
	}
	return false
}

// backendsPage lists the configured backends.
type backendsPage struct {
	basePage
	Backends   []backendView
	HasLog     bool
	OtherCalls CallbackSummary
}

type backendView struct {
	B            getpaid.Backend
	Currencies   []string
	Capabilities []string
	Panel        []getpaid.PanelSetting
	Callbacks    CallbackSummary
	CallbackURL  string
}

// capabilities names what a broker can do beyond taking payments.
func capabilities(b getpaid.Broker) []string {
	var out []string
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"refund", can[getpaid.Refunder](b, getpaid.OpRefund)},
		{"capture", can[getpaid.Capturer](b, getpaid.OpCapture)},
		{"release", can[getpaid.Releaser](b, getpaid.OpRelease)},
		{"cancel", can[getpaid.Canceler](b, getpaid.OpCancel)},
		{"poll status", is[getpaid.StatusFetcher](b)},
		{"look up operations", is[getpaid.OperationFetcher](b)},
		{"confirms notifications", is[getpaid.CallbackConfirmer](b)},
		{"callback address allowlist", is[getpaid.IPAllowlister](b)},
	} {
		if c.ok {
			out = append(out, c.name)
		}
	}
	return out
}

func is[T any](v any) bool {
	_, ok := v.(T)
	return ok
}

// can reports whether broker b has the method T for operation kind and
// can do it as configured: a getpaid.OperationGate may say it cannot
// (Dotpay's refunds without the seller API credentials), and the engine
// then refuses the operation, so the console neither offers nor lists it.
func can[T any](b getpaid.Broker, kind getpaid.OperationKind) bool {
	if !is[T](b) {
		return false
	}
	g, ok := b.(getpaid.OperationGate)
	return !ok || g.Unable(kind) == ""
}

// showBackends shows every backend: currencies, capabilities, panel
// settings and what became of its recent callbacks.
func (c *Console) showBackends(w http.ResponseWriter, r *http.Request, s *session) {
	data := &backendsPage{basePage: c.pageBase(s, "Backends", "backends"), HasLog: c.callbacks != nil}
	for _, b := range c.svc.Registry().All() {
		v := backendView{B: b, Currencies: getpaid.Currencies(b.Broker), Capabilities: capabilities(b.Broker)}
		if c.env != nil {
			env := c.env(b.Name)
			v.CallbackURL = env.CallbackURL()
			if cf, ok := b.Broker.(getpaid.Configurator); ok {
				v.Panel = cf.PanelSettings(env)
			}
		}
		if c.callbacks != nil {
			v.Callbacks = c.callbacks.Summary(b.Name)
		}
		data.Backends = append(data.Backends, v)
	}
	if c.callbacks != nil {
		data.OtherCalls = c.callbacks.Summary(otherBackend)
	}
	c.render(w, r, http.StatusOK, "backends", data)
}
