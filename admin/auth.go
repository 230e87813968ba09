package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/getpaid-go/getpaid/internal/edge"
)

// User is a console user: a name and the bcrypt hash of the password
// (HashPassword makes one; "getpaid admin passwd" prints one).
type User struct {
	Name         string
	PasswordHash string
}

// HashCost is the bcrypt cost of HashPassword.
const HashCost = 12

// MaxHashCost is the highest bcrypt cost of a user's PasswordHash New
// takes: 4 times the work of HashCost's (about a second of CPU where that
// is a quarter). The console hashes at its users' highest cost when it is
// built, for the dummy comparison of unknown names, and compares one
// password at a time; each step of the cost doubles the work, and a hash
// of cost 31 (bcrypt's highest) takes about a day and a half.
const MaxHashCost = HashCost + 2

// HashPassword returns the bcrypt hash of password to put in the
// configuration. Passwords shorter than 8 bytes are refused, and so are
// those longer than 72 bytes (bcrypt ignores the rest).
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("admin: a password needs at least 8 characters")
	}
	if strings.TrimSpace(password) == "" {
		return "", errors.New("admin: a password of spaces only is no password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), HashCost)
	if err != nil {
		return "", fmt.Errorf("admin: hash password: %w", err)
	}
	return string(h), nil
}

// CheckHash returns the bcrypt cost of hash, a user's PasswordHash, or why
// it is no bcrypt hash. Besides the version and the cost (bcrypt.Cost), the
// salt and the digest after them must be bcrypt's base64: bcrypt refuses a
// salt that is not before it does any of its work, so no password would
// ever match, and a sign-in as the user would be answered at once, where an
// unknown name's takes the dummy's work: timing would tell the name.
func CheckHash(hash string) (int, error) {
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return 0, err
	}
	rest := hash[len("$2a$12$"):]
	if hash[2] == '$' { // "$2$12$", no minor version
		rest = hash[len("$2$12$"):]
	}
	const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	if len(rest) < 53 || strings.IndexFunc(rest[:53], func(r rune) bool { return !strings.ContainsRune(alphabet, r) }) >= 0 {
		return 0, errors.New("its salt and digest are not 53 characters of bcrypt's base64 (./A-Za-z0-9)")
	}
	return cost, nil
}

// session is a logged-in user's session.
type session struct {
	user    string
	csrf    string
	expires time.Time
}

// sessions are the live sessions by the hash of their cookie's token.
type sessions struct {
	mu  sync.Mutex
	m   map[[32]byte]*session
	ttl time.Duration
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// start opens a session for user and returns its cookie token.
func (s *sessions) start(user string, now time.Time) (string, *session) {
	tok := newToken()
	sess := &session{user: user, csrf: newToken(), expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m { // expired sessions go when new ones come
		if now.After(v.expires) {
			delete(s.m, k)
		}
	}
	s.m[sha256.Sum256([]byte(tok))] = sess
	return tok, sess
}

// get returns the live session of a cookie token.
func (s *sessions) get(tok string, now time.Time) *session {
	if tok == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := sha256.Sum256([]byte(tok))
	sess := s.m[k]
	if sess == nil {
		return nil
	}
	if now.After(sess.expires) {
		delete(s.m, k)
		return nil
	}
	return sess
}

// end closes the session of a cookie token.
func (s *sessions) end(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sha256.Sum256([]byte(tok)))
}

// Login throttling: after FreeFailures wrong passwords for one user name or
// from one address (an IPv6 address by its /64), each further try must
// wait, doubling from 2 s up to 5 minutes, however many are sent at once;
// a success clears the user's and the address's count, and a count is
// forgotten after an hour without failures. A name's wait holds only tries
// from an address that has failed itself: one with a clean record reaches
// the password check whatever the name's count, so nobody can keep an
// operator out by failing as her from elsewhere every few minutes, and a
// guesser spreading tries over addresses gets one per address before the
// name's wait holds it.
const (
	FreeFailures = 5
	firstWait    = 2 * time.Second
	maxWait      = 5 * time.Minute
	forgetAfter  = time.Hour
)

// limiter counts failed logins by user name and by client address.
type limiter struct {
	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n     int
	last  time.Time
	until time.Time // no try before then
}

// wait reports how long a sign-in as user from addr (throttleKeys) must
// still wait; user's wait applies only when addr has a failure on record
// (see FreeFailures). It counts nothing: a try it lets through waits for
// the comparison slot, then try counts it. l.mu is held.
func (l *limiter) wait(now time.Time, user, addr string) time.Duration {
	keys := []string{addr}
	if f := l.m[addr]; f != nil && now.Sub(f.last) <= forgetAfter {
		keys = append(keys, user)
	}
	var w time.Duration
	for _, k := range keys {
		if f := l.m[k]; f != nil && f.until.After(now) {
			w = max(w, f.until.Sub(now))
		}
	}
	return w
}

// waiting is wait, for a try not yet holding a comparison slot: one that
// must wait is told so at once, not after the comparisons before it.
func (l *limiter) waiting(now time.Time, user, addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait(now, user, addr)
}

// try reports how long a sign-in as user from addr must still wait or,
// when it need not wait, counts it as a failure of both until succeed
// clears them. It is called holding the comparison slot, just before the
// password is compared: a try cut off while it waited for the slot
// compared nothing and counts as no failure. Counting before the password
// is compared, under the same lock as the check, is what bounds tries made
// at once: a check that only looked would let every request in flight
// through while the slow comparisons of the first ones run.
func (l *limiter) try(now time.Time, user, addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.wait(now, user, addr)
	if w == 0 {
		l.fail(now, user, addr)
	}
	return w
}

// fail records a failed login for keys. l.mu is held.
func (l *limiter) fail(now time.Time, keys ...string) {
	if len(l.m) > 10000 {
		for k, f := range l.m {
			if now.Sub(f.last) > forgetAfter {
				delete(l.m, k)
			}
		}
	}
	for _, k := range keys {
		f := l.m[k]
		if f == nil || now.Sub(f.last) > forgetAfter {
			f = &failures{}
			l.m[k] = f
		}
		f.n++
		f.last = now
		if f.n >= FreeFailures {
			d := firstWait << min(f.n-FreeFailures, 10)
			f.until = now.Add(min(d, maxWait))
		}
	}
}

// succeed clears keys' failures.
func (l *limiter) succeed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.m, k)
	}
}

// throttleKeys are the limiter's keys of a sign-in: the name's hash (a
// name of any length costs the same few bytes) and the client's address,
// an IPv6 address by its /64, the block one subscriber usually holds.
func throttleKeys(name, ip string) (user, addr string) {
	sum := sha256.Sum256([]byte(name))
	return "user:" + string(sum[:]), "ip:" + edge.Key(ip).String()
}

// passwordChecks is how many password comparisons run at once; the others
// wait their turn. One takes about a quarter of a second of CPU at
// HashCost, and the sign-in form is public: tries sent at once from many
// addresses (each within its FreeFailures) ran side by side and took every
// core from the payments' requests (100 from 20 addresses made a payment's
// GET take 1.4 s instead of 1 ms); one at a time, they hold one core.
const passwordChecks = 1

// checkPassword compares password with user's hash in constant time; an
// unknown user is compared against a dummy hash and fails. It waits for a
// free comparison slot (passwordChecks) first, or for ctx to end (its
// error: nothing was compared, nothing counted), then asks the throttle
// (limiter.try), which counts the try unless it must wait (wait > 0:
// nothing compared).
func (c *Console) checkPassword(ctx context.Context, name, password, user, addr string) (ok bool, wait time.Duration, err error) {
	select {
	case c.checks <- struct{}{}:
	case <-ctx.Done():
		return false, 0, ctx.Err()
	}
	defer func() { <-c.checks }()
	if wait := c.limit.try(c.now(), user, addr); wait > 0 {
		return false, wait, nil
	}
	hash, ok := c.users[name]
	if !ok {
		_ = c.compare(c.dummyHash, []byte(password))
		return false, 0, nil
	}
	ok = c.compare(hash, []byte(password)) == nil
	for _, pad := range c.padding[name] {
		_ = c.compare(pad, []byte(password))
	}
	return ok, 0, nil
}

// padHashes returns the dummy hash an unknown name is compared with, of
// the users' highest cost (top), and each user's padding: dummies of the
// costs from hers up to top, less one, compared after her own hash. A
// comparison's work doubles with each cost, and 2^c + 2^c + 2^(c+1) + … +
// 2^(top-1) is 2^top: a user whose hash is cheaper (made by hand, or
// before a cost was raised) takes what an unknown name does, and timing
// tells no name. Configured users of one cost, as getpaid admin passwd
// makes them, need none; others add less than the dummy itself to the
// start-up.
func padHashes(costs map[string]int, top int) (dummy []byte, padding map[string][][]byte, err error) {
	made := map[int][]byte{}
	hash := func(cost int) ([]byte, error) {
		if made[cost] == nil {
			h, err := bcrypt.GenerateFromPassword([]byte(newToken()[:32]), cost)
			if err != nil {
				return nil, err
			}
			made[cost] = h
		}
		return made[cost], nil
	}
	if dummy, err = hash(top); err != nil {
		return nil, nil, err
	}
	padding = map[string][][]byte{}
	for name, c := range costs {
		for k := c; k < top; k++ {
			h, err := hash(k)
			if err != nil {
				return nil, nil, err
			}
			padding[name] = append(padding[name], h)
		}
	}
	return dummy, padding, nil
}

// Cookie names.
const (
	sessionCookie = "getpaid_admin"
	loginCookie   = "getpaid_admin_login" // the login form's CSRF token (double submit)
)

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: c.prefix + "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

func cookie(r *http.Request, name string) string {
	ck, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

// sameToken compares two CSRF tokens in constant time; empty never matches.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

type loginPage struct {
	basePage
	Name  string
	Error string
}

// loginForm shows the login form with a fresh double-submit token.
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	if c.session(r) != nil {
		http.Redirect(w, r, c.prefix+"/", http.StatusSeeOther)
		return
	}
	c.renderLogin(w, r, http.StatusOK, "", "")
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	tok := newToken()
	c.setCookie(w, r, loginCookie, tok, 3600)
	c.render(w, r, status, "login", &loginPage{basePage: basePage{Title: "Sign in", CSRF: tok}, Name: name, Error: msg})
}

// login checks the form's token, the throttle and the password, then
// starts a session.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	now := c.now()
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	name, ip := r.PostFormValue("name"), c.clientIP(r)
	if !sameToken(r.PostFormValue("csrf"), cookie(r, loginCookie)) {
		c.audit(r, name, "login", "refused", "reason", "missing or wrong CSRF token")
		c.forbidden(w, r)
		return
	}
	user, addr := throttleKeys(name, ip)
	if wait := c.limit.waiting(now, user, addr); wait > 0 {
		c.throttled(w, r, name, wait)
		return
	}
	ok, wait, err := c.checkPassword(r.Context(), name, r.PostFormValue("password"), user, addr)
	if err != nil { // the client left (or the server stops) while it waited its turn
		c.audit(r, name, "login", "not checked", "reason", err.Error())
		c.renderLogin(w, r, http.StatusServiceUnavailable, name, "The password was not checked: the request ended first. Try again.")
		return
	}
	if wait > 0 { // tries that came first failed while it waited its turn
		c.throttled(w, r, name, wait)
		return
	}
	if !ok {
		c.audit(r, name, "login", "failed")
		c.renderLogin(w, r, http.StatusUnauthorized, name, "Wrong name or password.")
		return
	}
	c.limit.succeed(user, addr)
	tok, _ := c.sessions.start(name, now)
	c.setCookie(w, r, sessionCookie, tok, int(c.sessions.ttl/time.Second))
	c.setCookie(w, r, loginCookie, "", -1)
	c.audit(r, name, "login", "ok")
	http.Redirect(w, r, c.prefix+"/", http.StatusSeeOther)
}

// throttled answers a sign-in that must wait, saying how long.
func (c *Console) throttled(w http.ResponseWriter, r *http.Request, name string, wait time.Duration) {
	// Whole seconds rounded up: coming back after what is said must not
	// be refused again.
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	c.audit(r, name, "login", "throttled", "wait", (time.Duration(secs) * time.Second).String())
	c.renderLogin(w, r, http.StatusTooManyRequests, name, fmt.Sprintf("Too many failed sign-ins. Try again in %d s.", secs))
}

// logout ends the session.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	c.sessions.end(cookie(r, sessionCookie))
	c.setCookie(w, r, sessionCookie, "", -1)
	c.audit(r, s.user, "logout", "ok")
	http.Redirect(w, r, c.prefix+"/login", http.StatusSeeOther)
}

// session returns the request's live session, if any.
func (c *Console) session(r *http.Request) *session {
	return c.sessions.get(cookie(r, sessionCookie), c.now())
}

// authed serves next to signed-in users (others are sent to the login
// form) and, for POSTs, only with the session's CSRF token.
func (c *Console) authed(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.session(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, c.prefix+"/login", http.StatusSeeOther)
				return
			}
			// A page, not a text line: the link under it leads to the
			// sign-in form.
			c.render(w, r, http.StatusUnauthorized, "message", &messagePage{basePage: basePage{Title: "Signed out"},
				Message: "Your session has ended (signed out, timed out, or the server restarted): nothing was done. Sign in again and do it again."})
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if !sameToken(r.PostFormValue("csrf"), s.csrf) {
				c.audit(r, s.user, "post "+r.URL.Path, "refused", "reason", "missing or wrong CSRF token")
				c.forbidden(w, r)
				return
			}
		}
		next(w, r, s)
	}
}

func (c *Console) forbidden(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusForbidden, "message", &messagePage{basePage: basePage{Title: "Refused"},
		Message: "The form was refused: its security token is missing or out of date. Go back, reload the page and try again."})
}
