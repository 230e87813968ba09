package edge

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Connection caps by default: each connection held open costs the server
// about 6 KB, bounded otherwise only by the file descriptor limit (a
// million in many containers).
const (
	DefaultConnections           = 10000
	DefaultConnectionsPerAddress = 512
)

// ConnLimitConfig bounds the connections a listener keeps open.
type ConnLimitConfig struct {
	// Total bounds the open connections (default DefaultConnections).
	Total int
	// PerAddress bounds those of one client address, an IPv6 /64 as Key
	// counts (default DefaultConnectionsPerAddress). Loopback peers and
	// Exempt ones (the trusted proxies, through which every client comes)
	// count in Total only.
	PerAddress int
	Exempt     []netip.Prefix
	// Refused is called, outside any lock, for a connection refused: the
	// peer's address, and whether the total (not the address's share) was
	// full.
	Refused func(addr string, total bool)
}

// refusal is what a connection over a cap is told before it is closed: an
// HTTP answer a client can retry on, not a reset it cannot tell from a
// crash. It carries the headers every answer does (SetStrict's).
const refusal = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Content-Security-Policy: " + StrictCSP + "\r\nX-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n" +
	"Referrer-Policy: strict-origin-when-cross-origin\r\nCache-Control: no-store\r\n" +
	"Content-Length: 40\r\nConnection: close\r\n\r\ntoo many connections; try again shortly\n"

// LimitListener returns ln holding at most cfg's connections open: one
// accepted beyond them is answered 503 and closed at once (waiting to
// accept it would leave it in the kernel's queue, where clients over their
// share crowd out the others).
func LimitListener(ln net.Listener, cfg ConnLimitConfig) net.Listener {
	if cfg.Total <= 0 {
		cfg.Total = DefaultConnections
	}
	if cfg.PerAddress <= 0 {
		cfg.PerAddress = DefaultConnectionsPerAddress
	}
	return &limitListener{Listener: ln, cfg: cfg, byAddr: map[netip.Prefix]int{}}
}

type limitListener struct {
	net.Listener
	cfg ConnLimitConfig

	mu     sync.Mutex
	open   int
	byAddr map[netip.Prefix]int // only addresses with a connection open
}

// Accept returns the next connection within the caps.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip, key, counted := l.peer(c)
		if ok, total := l.take(key, counted); !ok {
			refuse(c)
			if l.cfg.Refused != nil {
				l.cfg.Refused(ip, total)
			}
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.give(key, counted) }}, nil
	}
}

// peer is c's remote address, its key, and whether it counts per address.
func (l *limitListener) peer(c net.Conn) (string, netip.Prefix, bool) {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String(), netip.Prefix{}, false
	}
	a := ap.Addr().Unmap().WithZone("")
	if a.IsLoopback() {
		return a.String(), netip.Prefix{}, false
	}
	for _, p := range l.cfg.Exempt {
		if p.Contains(a) {
			return a.String(), netip.Prefix{}, false
		}
	}
	return a.String(), Key(a.String()), true
}

// take counts a new connection of key unless a cap is reached; total says
// which one refused it.
func (l *limitListener) take(key netip.Prefix, counted bool) (ok, total bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.cfg.Total {
		return false, true
	}
	if counted && l.byAddr[key] >= l.cfg.PerAddress {
		return false, false
	}
	l.open++
	if counted {
		l.byAddr[key]++
	}
	return true, false
}

func (l *limitListener) give(key netip.Prefix, counted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if counted {
		if l.byAddr[key]--; l.byAddr[key] <= 0 {
			delete(l.byAddr, key)
		}
	}
}

// refuse answers c 503 and closes it. The answer fits any socket buffer;
// the deadline only guards against a peer that vanished.
func refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte(refusal))
	_ = c.Close()
}

// limitedConn gives its place back once, at its first Close.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite half-closes the connection when it can (a TCP one): net/http
// does so before closing one whose request body it left unread, so the
// client reads the answer and the end, not a reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
