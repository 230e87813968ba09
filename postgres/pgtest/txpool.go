package pgtest

import (
	"context"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// TxPooler starts a transaction-mode connection pooler in front of the
// database dsn names, as PgBouncer's pool_mode = transaction is, and returns
// a DSN that connects through it (with default_query_exec_mode=exec, the
// README's setting behind such a pooler). The pooler keeps backends
// connections to dsn and hands one to a client from the start of a
// transaction (or a statement outside one) to its end, then takes it back;
// unlike PgBouncer it always hands out the backend idle longest, so that a
// client's consecutive transactions run on different backends, and
// anything that counts on a session of its own (a session-level advisory
// lock, a SET, a named prepared statement) fails every time rather than
// now and then. Everything stops when t ends.
func TxPooler(t testing.TB, dsn string, backends int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := &txPooler{free: make(chan *pgconn.HijackedConn, backends), params: map[string]string{}}
	for range backends {
		c, err := pgconn.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("pgtest: pooler: connect: %v", err)
		}
		h, err := c.Hijack()
		if err != nil {
			t.Fatalf("pgtest: pooler: %v", err)
		}
		p.params = h.ParameterStatuses
		p.free <- h
		p.all = append(p.all, h)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgtest: pooler: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.clients = append(p.clients, c)
			p.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		for _, c := range p.clients {
			_ = c.Close()
		}
		p.mu.Unlock()
		for _, h := range p.all {
			_ = h.Conn.Close()
		}
		wg.Wait()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: pooler: the DSN is not a URL: %v", err)
	}
	u.Host = ln.Addr().String()
	q := u.Query()
	q.Del("search_path") // the backends are in the schema already; a pooler passes no such startup parameter
	q.Set("sslmode", "disable")
	q.Set("default_query_exec_mode", "exec")
	u.RawQuery = q.Encode()
	return u.String()
}

type txPooler struct {
	free    chan *pgconn.HijackedConn // idle backends, longest idle first
	all     []*pgconn.HijackedConn
	params  map[string]string // a backend's parameter statuses, told every client
	mu      sync.Mutex
	clients []net.Conn
}

// serve speaks for one client: startup and authentication itself, then
// every message relayed to a backend held from the client's first message
// until the backend is ready for a query outside a transaction.
func (p *txPooler) serve(c net.Conn) {
	defer c.Close()
	be := pgproto3.NewBackend(c, c)
	for {
		m, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		switch m.(type) {
		case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
			if _, err := c.Write([]byte{'N'}); err != nil {
				return
			}
			continue
		case *pgproto3.StartupMessage:
		default:
			return // a cancel request: not supported
		}
		break
	}
	be.Send(&pgproto3.AuthenticationOk{})
	for k, v := range p.params {
		be.Send(&pgproto3.ParameterStatus{Name: k, Value: v})
	}
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if be.Flush() != nil {
		return
	}
	var held *pgconn.HijackedConn
	defer func() {
		if held == nil {
			return
		}
		// A client gone mid-transaction: its transaction ends before
		// the backend serves another, as PgBouncer's does.
		held.Frontend.Send(&pgproto3.Query{String: "ROLLBACK"})
		if held.Frontend.Flush() == nil {
			for {
				r, err := held.Frontend.Receive()
				if _, ok := r.(*pgproto3.ReadyForQuery); ok || err != nil {
					break
				}
			}
		}
		p.free <- held
	}()
	for {
		m, err := be.Receive()
		if err != nil {
			return
		}
		if _, ok := m.(*pgproto3.Terminate); ok {
			return
		}
		if held == nil {
			held = <-p.free
		}
		held.Frontend.Send(m)
		switch m.(type) {
		case *pgproto3.Sync, *pgproto3.Query:
		case *pgproto3.Flush:
			if held.Frontend.Flush() != nil {
				return
			}
			continue
		default:
			continue
		}
		if held.Frontend.Flush() != nil {
			return
		}
		status, err := relay(held.Frontend, be)
		if err != nil {
			return
		}
		if status == 'I' {
			p.free <- held
			held = nil
		}
	}
}

// relay passes the backend's answers to the client up to its ReadyForQuery
// and returns the transaction status it reports.
func relay(fe *pgproto3.Frontend, be *pgproto3.Backend) (byte, error) {
	for {
		r, err := fe.Receive()
		if err != nil {
			return 0, err
		}
		be.Send(r)
		if rfq, ok := r.(*pgproto3.ReadyForQuery); ok {
			return rfq.TxStatus, be.Flush()
		}
		if _, ok := r.(*pgproto3.ErrorResponse); ok {
			if err := be.Flush(); err != nil {
				return 0, err
			}
		}
	}
}
