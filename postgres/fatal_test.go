package postgres_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/postgres"
	"github.com/getpaid-go/getpaid/postgres/pgtest"
)

// fault is where a fatalProxy ends a session with a FATAL.
type fault int32

const (
	noFault fault = iota
	// afterCommit passes the server's COMMIT on, then the FATAL: what a
	// server told to shut down while it commits sends (it finishes the
	// commit and handles the signal when it reads the client's next
	// message).
	afterCommit
	// insteadOfCommit drops the COMMIT the server answered: the commit is
	// made, the client does not hear it.
	insteadOfCommit
	// insteadOfReady drops the ReadyForQuery ending a batch that inserted
	// (after its COMMIT).
	insteadOfReady
	// beforeRequest answers the client's next request with the FATAL
	// without passing it on: a session the server ended while it was idle.
	beforeRequest
)

// fatal is the message PostgreSQL ends a session with when it is shut down.
func fatal() []byte {
	fields := "SFATAL\x00VFATAL\x00C57P01\x00Mterminating connection due to administrator command\x00\x00"
	return append(binary.BigEndian.AppendUint32([]byte{'E'}, uint32(4+len(fields))), fields...)
}

// fatalProxy stands between a store and PostgreSQL, forwarding messages,
// until armed: then, once, it ends the session where its fault says with
// "FATAL 57P01 terminating connection due to administrator command", as a
// PostgreSQL restart does, and closes both sides.
type fatalProxy struct {
	ln    net.Listener
	to    string
	armed atomic.Int32
	fired atomic.Bool
	wg    sync.WaitGroup
}

// newFatalProxy starts a proxy to dsn's server and returns it with the DSN
// of the same database through it.
func newFatalProxy(t *testing.T, dsn string) (*fatalProxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "postgres" && u.Scheme != "postgresql" || u.Query().Has("host") {
		t.Skip("the proxy needs a postgres:// DSN naming its server in the authority")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &fatalProxy{ln: ln, to: u.Host}
	t.Cleanup(func() { _ = ln.Close(); p.wg.Wait() })
	p.wg.Add(1)
	go p.serve()
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *fatalProxy) arm(f fault) { p.armed.Store(int32(f)) }

func (p *fatalProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.to)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			p.forth(c, s)
			_ = s.Close()
		}()
		go func() {
			defer p.wg.Done()
			p.back(c, s)
			_ = c.Close()
			_ = s.Close()
		}()
	}
}

// forth forwards the client's requests to the server.
func (p *fatalProxy) forth(c, s net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 && p.armed.CompareAndSwap(int32(beforeRequest), int32(noFault)) {
			p.fired.Store(true)
			_, _ = c.Write(fatal())
			_ = c.Close()
			return
		}
		if n > 0 {
			if _, err := s.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// back forwards the server's messages to the client, one at a time.
func (p *fatalProxy) back(c, s net.Conn) {
	inserted := false
	for {
		head := make([]byte, 5)
		if _, err := io.ReadFull(s, head); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(head[1:])-4)
		if _, err := io.ReadFull(s, body); err != nil {
			return
		}
		msg := append(head, body...)
		commit := head[0] == 'C' && string(body) == "COMMIT\x00"
		inserted = inserted || head[0] == 'C' && strings.HasPrefix(string(body), "INSERT")
		f, fire, keep := fault(p.armed.Load()), false, true
		switch f {
		case afterCommit:
			fire = commit
		case insteadOfCommit:
			fire, keep = commit, false
		case insteadOfReady:
			fire, keep = inserted && head[0] == 'Z', false
		}
		if fire && p.armed.CompareAndSwap(int32(f), int32(noFault)) {
			if !keep {
				msg = msg[:0]
			}
			p.fired.Store(true)
			_, _ = c.Write(append(msg, fatal()...))
			return
		}
		if _, err := c.Write(msg); err != nil {
			return
		}
	}
}

// TestFatalAroundCommit ends the session with a FATAL, as a PostgreSQL
// restart does, around a commit the server made: the change is made once,
// and reported done when the server said COMMIT, else in doubt
// (ErrUnavailable), never retried into a second application. A FATAL
// before anything ran is tried again.
func TestFatalAroundCommit(t *testing.T) {
	t.Parallel()
	bump := getpaid.Mutation{Cause: "operator note", Apply: func(q *getpaid.Payment) (bool, error) {
		q.Description += "+" // applied twice, it says so
		return true, nil
	}}
	tests := []struct {
		name  string
		fault fault
		// create, else update with bump
		create bool
		doubt  bool
	}{
		{"update: FATAL after the COMMIT it heard", afterCommit, false, false},
		{"update: FATAL instead of the COMMIT", insteadOfCommit, false, true},
		{"create: FATAL after the COMMIT it heard", afterCommit, true, false},
		{"create: FATAL instead of the COMMIT", insteadOfCommit, true, true},
		// The create's transaction is explicit (BEGIN ISOLATION LEVEL
		// READ COMMITTED ... COMMIT): the COMMIT heard says it was made.
		{"create: FATAL instead of the Sync's ReadyForQuery", insteadOfReady, true, false},
		// Nothing ran: tried again on another connection, unseen.
		{"create: FATAL before it was sent", beforeRequest, true, false},
		{"update: FATAL before it was sent", beforeRequest, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dsn := pgtest.Schema(t)
			direct, err := postgres.Open(t.Context(), dsn, postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer direct.Close()
			proxy, via := newFatalProxy(t, dsn)
			s, err := postgres.Open(t.Context(), via, postgres.Options{MaxConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Both statements prepared on the connection first.
			p := newPrepared(t, s)
			if _, err := s.UpdatePayment(t.Context(), p.ID, bump); err != nil {
				t.Fatal(err)
			}
			proxy.arm(tt.fault)
			id, version := p.ID, p.Version+1
			if tt.create {
				q := &getpaid.Payment{ID: getpaid.NewID("pay"), OrderID: "o-fatal", Backend: "dummy",
					Status: getpaid.StatusNew, Amount: getpaid.MustParseMoney("10.00", "PLN")}
				id, version = q.ID, 1
				_, err = s.CreatePayment(t.Context(), q, getpaid.CreateOptions{})
			} else {
				_, err = s.UpdatePayment(t.Context(), p.ID, bump)
				version++
			}
			if !proxy.fired.Load() {
				t.Fatal("the proxy did not see the commit to end the session at")
			}
			if got := errors.Is(err, getpaid.ErrUnavailable); got != tt.doubt || !tt.doubt && err != nil {
				t.Errorf("err = %v; want in doubt (ErrUnavailable) %v, else none", err, tt.doubt)
			}
			got, err := direct.Payment(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != version {
				t.Errorf("version %d, want %d: the change was applied %d times", got.Version, version, got.Version-version+1)
			}
		})
	}
}
