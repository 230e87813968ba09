package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A config serve refuses is refused before anything is opened: the SQLite
// database is neither created nor migrated, nothing is served, and the
// message names the file, the line and the setting.
func TestServeRefusesBadConfigBeforeOpeningAnything(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	const payu = "  payu:\n    pos_id: \"1\"\n    second_key: k\n    client_id: \"1\"\n    client_secret: s\n"
	const hook = "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	tests := []struct {
		name, extra, backends, want string
	}{
		// Lines: 1 listen, 2 database, 3 api_keys, 4 backends, 5-6 dummy, then backends, then extra.
		{"webhook url not http(s)", "webhooks:\n  - url: ftp://shop.example/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "",
			`line 8: webhooks[0]: webhook: url "ftp://shop.example/hook": want an absolute http(s) URL`},
		{"webhook secret too short", "webhooks:\n  - url: https://shop.example/hook\n    secret: whsec_YWJj\n", "",
			"line 9: webhooks[0].secret: webhook: secret: 3 bytes is too short"},
		{"webhook rotation secret not base64", hook + "  - url: https://erp.example/hook\n    secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, whsec_new…]\n", "",
			"line 11: webhooks[1].secrets[1]: webhook: secret: want whsec_"},
		// Both were taken, secret put first: which signs, and whether the
		// entry rotates, was the file's guess.
		{"webhook secret and secrets both", hook + "    secrets: [whsec_wLn3Z2nfLu4tjJhzdsaishqkKd9lhxO/uFjiDnYt4i8=]\n", "",
			"line 8: webhooks[0]: secret and secrets are both set: give secret, or secrets: [new, old] while rotating"},
		// The same secret twice was taken, and each request signed twice
		// with it: not the rotation it reads as.
		{"webhook rotation secret twice", "webhooks:\n  - url: https://shop.example/hook\n    secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]\n", "",
			"line 9: webhooks[0].secrets[1]: the secret is secrets[0] again: a rotation signs with the new secret and the old one"},
		{"webhook rotation secret twice, once without its prefix", "webhooks:\n  - url: https://shop.example/hook\n    secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]\n", "",
			"line 9: webhooks[0].secrets[1]: the secret is secrets[0] again"},
		{"webhook without a secret", "webhooks:\n  - url: https://shop.example/hook\n", "", "line 8: webhooks[0]: webhook https://shop.example/hook: want one secret"},
		{"webhook event unknown", hook + "    events: [payment.paid]\n", "", `line 8: webhooks[0]: webhook https://shop.example/hook: unknown event type "payment.paid"`},
		{"one api key twice", "", "", "line 3: api_keys[1]: the key is api_keys[0] again"},
		{"proxy header unknown", "proxy_header: X-Real-IP\n", "", `line 7: proxy_header: "X-Real-IP": want X-Forwarded-For or Forwarded`},
		{"trusted proxy not a prefix", "trusted_proxies: [10.0.0.0/33]\n", "", "line 7: trusted_proxies:"},
		{"console user without a bcrypt hash", "admin:\n  users:\n    - name: ops\n      password_hash: plain\n", "",
			`line 10: admin.users[0].password_hash: user "ops": not a bcrypt hash`},
		// A salt bcrypt refuses before any work: no password matched, and a
		// sign-in as the user was answered at once, telling the name.
		{"console user with a hash whose salt is mistyped", "admin:\n  users:\n    - {name: ops, password_hash: $2a$10$N9qo8uLOickgx2ZMRZoMy-IjZAgcfl7p92ldGxad68LJZdL17lhWy}\n", "",
			`line 9: admin.users[0].password_hash: user "ops": not a bcrypt hash`},
		{"console user twice", "admin:\n  users:\n    - {name: ops, password_hash: $2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy}\n    - {name: ops, password_hash: $2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy}\n", "",
			`line 10: admin.users[1].name: user "ops" is listed twice`},
		{"audit log in a folder that does not exist", "admin:\n  users:\n    - {name: ops, password_hash: $2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy}\n  audit_log: /nonexistent-getpaid/audit.log\n", "",
			"line 10: admin.audit_log: open /nonexistent-getpaid/audit.log"},
		{"callback cap zero", "limits:\n  callback_body: {dummy: 0}\n", "", "line 8: limits.callback_body.dummy: 0: want more than 0"},
		{"resume within a broker timeout", "resume_operations_after: 30s\n", payu, "line 12: resume_operations_after: 30s: want more than twice the longest backend timeout"},
		{"backend expire_after not a duration", "", "  other:\n    kind: dummy\n    secret: s\n    expire_after: soon\n", `line 10: backends.other.expire_after: "soon"`},
		{"backend kind twice", "", "  other:\n    kind: payu\n    kind: dummy\n    secret: s\n", "line 9: backends.other.kind is set twice"},
		{"backend title a list", "", "  other:\n    kind: dummy\n    title: [a]\n    secret: s\n", "line 9: backends.other.title: want one value, not a list"},
		{"listen address in use", "", "", "line 1: listen: listen tcp " + busy.Addr().String()},
		{"listen address without a port", "", "", "line 1: listen: listen tcp: address 8000: missing port in address: want HOST:PORT"},
		{"listen port out of range", "", "", "line 1: listen: listen tcp: address 99999: invalid port: want HOST:PORT"},
		{"metrics address in use", "metrics:\n  listen: " + busy.Addr().String() + "\n", "", "line 8: metrics.listen: listen tcp " + busy.Addr().String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db := filepath.Join(dir, "getpaid.db")
			listen, keys := "127.0.0.1:0", "[server-api-key-0123456789]"
			switch tt.name {
			case "listen address in use":
				listen = busy.Addr().String()
			case "listen address without a port":
				listen = "8000"
			case "listen port out of range":
				listen = "127.0.0.1:99999"
			case "one api key twice":
				keys = "[server-api-key-0123456789, server-api-key-0123456789]"
			}
			path := writeConfig(t, "listen: "+listen+"\ndatabase: sqlite:"+db+"\napi_keys: "+keys+"\nbackends:\n  dummy:\n    secret: s\n"+tt.backends+tt.extra)
			// A config taken for good is served until the context ends,
			// answering 0.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var stdout, errb bytes.Buffer
			code := run(ctx, []string{"serve", "--config", path}, strings.NewReader(""), &stdout, &errb)
			stderr := errb.String()
			if code != 1 || !strings.Contains(stderr, path+": "+tt.want) {
				t.Fatalf("code %d, stderr %q; want 1 and %q", code, stderr, path+": "+tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a refused config left %v in the database's folder", entries)
			}
		})
	}
}

// The record tools read the database a server made: a path that names none
// is refused, not answered from an empty database created there.
func TestToolsCreateNoDatabase(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"operations", "list", "--flagged"}, {"events", "list", "--status", "dead"}, {"events", "replay", "--waiting"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db := filepath.Join(dir, "getpaid.db")
			path := writeConfig(t, "database: sqlite:"+db+"\napi_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s\n")
			code, out, stderr := runCLI(t, "", append(args, "--config", path)...)
			if code != 1 || !strings.Contains(stderr, path+": line 1: database: sqlite:"+db) || !strings.Contains(stderr, "getpaid serve or getpaid migrate creates it") {
				t.Fatalf("code %d, stdout %q, stderr %q", code, out, stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("getpaid %s created %v", strings.Join(args, " "), entries)
			}
		})
	}
}

// A "memory:" database lives in the process that made it: the record tools
// answered from an empty one of their own ("0 deliveries due again: there
// is no dead delivery"), as if the server had nothing in doubt. They refuse
// it, as they refuse a SQLite path that names no file.
func TestToolsReadNoMemoryDatabase(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "database: \"memory:\"\nbackends:\n  dummy:\n    secret: s\n")
	for _, args := range [][]string{{"operations", "list", "--flagged"}, {"events", "list", "--status", "dead"}, {"events", "replay", "--dead"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, stderr := runCLI(t, "", append(args, "--config", path)...)
			if code != 1 || out != "" || !strings.Contains(stderr, path+": line 1: database: ") || !strings.Contains(stderr, "in the memory of the process") {
				t.Fatalf("code %d, stdout %q, stderr %q", code, out, stderr)
			}
		})
	}
}

// A database URL in a message never shows its password, wherever it is.
func TestRedactHidesPasswords(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://u:secret@db:5432/g?sslmode=disable", "postgres://u:xxxxx@db:5432/g?sslmode=disable"},
		{"postgres://u@db/g?sslmode=disable&password=secret", "postgres://u@db/g?sslmode=disable&password=xxxxx"},
		{"postgres://u@db/g?PASSWORD=secret&password=other", "postgres://u@db/g?PASSWORD=xxxxx&password=xxxxx"},
		{"postgres://u:secret@[::1/g?password=secret", "postgres://xxxxx@[::1/g"},
		// The client key's passphrase (pgx's sslpassword), and a key that
		// pgx reads as password once it decodes it, were shown as written.
		{"postgres://u:secret@db/g?sslmode=verify-full&sslpassword=secret", "postgres://u:xxxxx@db/g?sslmode=verify-full&sslpassword=xxxxx"},
		{"postgres://u@db/g?p%61ssword=secret", "postgres://u@db/g?p%61ssword=xxxxx"},
		// pgx (as libpq) ends the password at the @, so a ? # or / in it is
		// the password's; Go's URL parser ended it there and the password
		// was shown: its start, or all of it when its start read as a port.
		{"postgres://u:sec?ret@db:5432/g?sslmode=disable", "postgres://xxxxx@db:5432/g"},
		{"postgres://u:sec#ret@db:5432/g", "postgres://xxxxx@db:5432/g"},
		{"postgres://u:5432?secret@db/g", "postgres://xxxxx@db/g"},
		{"postgres://u:5432#secret@db/g", "postgres://xxxxx@db/g"},
		{"postgres://u:5432/secret@db/g", "postgres://xxxxx@db/g"},
		{"postgres://db/g?application_name=a@b&password=secret", "postgres://xxxxx@b"},
		// A password holding an @ and then a ? or #: Go read a user part
		// ending at the first @ and a host ending at the ?, the rest of
		// the password in the query.
		{"postgres://u:p@ss?secret@db/g", "postgres://xxxxx@db/g"},
		{"postgres://u:p@ss#secret@db/g", "postgres://xxxxx@db/g"},
		{"postgres://u:p@ss/secret@db/g", "postgres://xxxxx@db/g"},
		{"host=db password=secret", "(not shown: it holds a password)"},
		// A scheme mistyped or left out: refused as no database URL,
		// with the password that followed it shown.
		{"postgres:/u:secret@db/g", "postgres:/xxxxx@db/g"},
		{"postgres:u:secret@db/g", "postgres:xxxxx@db/g"},
		{"u:secret@db:5432/g", "u:xxxxx@db:5432/g"},
		{"postgres//u:secret@db/g?sslmode=disable", "xxxxx@db/g"},
		{"sqlite:/var/lib/getpaid/getpaid.db", "sqlite:/var/lib/getpaid/getpaid.db"},
		{"getpaid.db", "getpaid.db"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want || strings.Contains(got, "secret") {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A demo that cannot take its address leaves no data folder behind.
func TestDemoAddressInUseCreatesNothing(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	data := filepath.Join(t.TempDir(), "getpaid-data")
	code, _, stderr := runCLI(t, "", "demo", "--data", data, "--addr", busy.Addr().String())
	if code != 1 || !strings.Contains(stderr, "demo: --addr: listen tcp "+busy.Addr().String()) {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("the data folder was made: %v", err)
	}
}

// A PostgreSQL URL with blanks or a line break around it (GETPAID_DATABASE
// set from a secret file that ends in a newline) is refused saying so, for
// serve, migrate and callback check alike; pgx read the newline into the database's name
// (or a parameter) and the operator was told database "getpaid\n" does not
// exist, a line break in the middle of the message.
func TestPostgresURLWithBlanksAround(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"postgres://u:s3cret-pw@127.0.0.1:1/getpaid\n",
		"postgres://u:s3cret-pw@127.0.0.1:1/getpaid?sslmode=disable\r\n",
		" postgresql://u:s3cret-pw@127.0.0.1:1/getpaid",
	} {
		_, oerr := openStore(t.Context(), dsn)
		_, merr := migrateStore(t.Context(), dsn)
		_, cerr := openForCheck(t.Context(), dsn)
		for _, err := range []error{oerr, merr, cerr} {
			if err == nil || !strings.Contains(err.Error(), "blanks or a line break around") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%q: %v, want it refused for the blanks around it, without the password", dsn, err)
			}
		}
	}
}

// A database URL whose scheme is not in lower case (POSTGRES://, SQLite:) is
// refused saying so, for serve, migrate and callback check alike; it was
// refused with the URL shown with its scheme lowered by the redaction,
// "postgres://u:xxxxx@…": want postgres://…, the form it seemed to have.
func TestDatabaseSchemeInCapitals(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"POSTGRES://u:s3cret-pw@127.0.0.1:1/getpaid",
		"Postgresql://u:s3cret-pw@127.0.0.1:1/getpaid?sslmode=disable",
		"SQLite:" + filepath.Join(t.TempDir(), "getpaid.db"),
	} {
		_, oerr := openStore(t.Context(), dsn)
		_, merr := migrateStore(t.Context(), dsn)
		_, cerr := openForCheck(t.Context(), dsn)
		for _, err := range []error{oerr, merr, cerr} {
			if err == nil || !strings.Contains(err.Error(), "in lower case") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%q: %v, want it refused for its scheme's capitals, without the password", dsn, err)
			}
		}
	}
}
