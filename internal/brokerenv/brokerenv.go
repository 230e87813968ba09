// Package brokerenv keeps a broker's environment, what Provision gave it.
package brokerenv

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/getpaid-go/getpaid"
)

// Provision stores env in p, the environment of a broker of kind ("payu"),
// unless p holds another backend name or base URL already: a broker value
// serves one backend of one registry, and provisioned again for another (put
// in two registries provisioned for two base URLs) it would send the first
// one's buyers and notifications to the second. That is refused
// (getpaid.ErrInvalidRequest), the first kept. The same again (a second
// engine on one registry) is taken, its logger with it.
func Provision(kind string, p *atomic.Pointer[getpaid.Env], env getpaid.Env) error {
	for {
		old := p.Load()
		if old != nil && (old.Backend != env.Backend || strings.TrimRight(old.BaseURL, "/") != strings.TrimRight(env.BaseURL, "/")) {
			return fmt.Errorf("%s: %w: this broker serves backend %q at %s already, not %q at %s (a broker value belongs to one registry: New another for another)",
				kind, getpaid.ErrInvalidRequest, old.Backend, old.BaseURL, env.Backend, env.BaseURL)
		}
		if p.CompareAndSwap(old, &env) {
			return nil
		}
	}
}
