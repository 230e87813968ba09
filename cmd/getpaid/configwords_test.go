package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A config error speaks the config's words: the setting and what it
// wants, never a Go type, package or function name.
func TestConfigErrorsShowNoGoInternals(t *testing.T) {
	t.Parallel()
	const file = `listen: 127.0.0.1:0
database: "memory:"
api_keys: [server-api-key-0123456789]
backends:
  dummy:
    secret: s
`
	tests := []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"delivery_retries not a list", file + "delivery_retries: 5s\n", nil, "line 7: delivery_retries: want a list of durations (like [5s, 5m]), not \"5s\""},
		{"delivery_timeout a list", file + "delivery_timeout: [5s]\n", nil, "line 7: delivery_timeout: want a duration like 90s, 30m or 24h, not a list"},
		{"a backend's unknown setting lists the settings every backend takes", file + "    titel: Cards\n", nil,
			"line 7: unknown setting backends.dummy.titel (known: currencies, expire_after, fault, kind, method, no_callbacks, secret, title)"},
		{"admin a list", file + "admin: [alice]\n", nil, "line 7: admin: want a mapping of settings (audit_log, users), not a list"},
		{"metrics one value", file + "metrics: 10.0.0.5:9100\n", nil, "line 7: metrics: want a mapping of settings (listen), not \"10.0.0.5:9100\""},
		{"limits a list", file + "limits: [1]\n", nil, "line 7: limits: want a mapping of settings ("},
		// A console user or webhook written as one value is not shown: it
		// may be a secret ("alice:$2a$12$…", as htpasswd writes one).
		{"an admin user one value", file + "admin:\n  users: [alice]\n", nil, "line 8: admin.users[0]: want a mapping of settings (name, password_hash), not a single value (not shown"},
		{"webhooks a mapping", file + "webhooks:\n  url: https://shop.example/hook\n", nil,
			"line 8: webhooks: want a list of mappings of settings (events, secret, secrets, url), not a mapping"},
		{"environment: webhooks one URL", file, []string{"GETPAID_WEBHOOKS=https://shop.example/hook"},
			"GETPAID_WEBHOOKS: webhooks: want a list of mappings of settings (events, secret, secrets, url), not a single value (not shown"},
		{"callback_body a list", file + "limits:\n  callback_body: [1KiB]\n", nil, "line 8: limits.callback_body: want a mapping"},
		{"tracing headers a list", file + "tracing:\n  headers: [a]\n", nil, "line 8: tracing.headers: want a mapping"},
		{"admin password_hash not bcrypt", file + "admin:\n  users:\n    - name: alice\n      password_hash: \"$2a$12$…\"\n", nil,
			`admin.users[0].password_hash: user "alice": not a bcrypt hash (make one with getpaid admin passwd)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := configErr(t, tt.yaml, tt.env)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			for _, internal := range []string{"main.", "time.", "ParseAddr", "ParsePrefix", "netip", "crypto/", "bcrypt:", "hashedSecret", "map[", "[]"} {
				if strings.Contains(err.Error(), internal) {
					t.Errorf("error %q shows Go's %q", err, internal)
				}
			}
		})
	}
}

// migrate and serve say the same when a SQLite database's folder is
// missing: which folder, and to create it.
func TestSQLiteFolderMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() + "/nodir"
	database := "sqlite:" + dir + "/getpaid.db"
	want := "the folder " + dir + " does not exist; create it"
	tests := []struct {
		name string
		run  func() error
	}{
		{"migrate", func() error { _, err := migrateStore(t.Context(), database); return err }},
		{"serve", func() error {
			s, err := openStore(t.Context(), database)
			if err == nil {
				_ = s.Close()
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want one saying %q", err, want)
			}
			if strings.Contains(err.Error(), "lstat") {
				t.Errorf("error %q shows a system call", err)
			}
		})
	}
}

// migrate and serve refuse "sqlite:" without a path, saying what is
// missing, instead of SQLite's "is a directory" about the working folder
// (or, for "sqlite: ", a file named " " made there); and a path with a
// blank after it, instead of a file whose name ends in one.
func TestSQLiteNoPath(t *testing.T) {
	t.Parallel()
	const none, blanks = `sqlite: no path after "sqlite:"`, "sqlite: the path has blanks around it"
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"migrate", func() error { _, err := migrateStore(t.Context(), "sqlite:"); return err }, none},
		{"serve", func() error {
			s, err := openStore(t.Context(), "sqlite: ")
			if err == nil {
				_ = s.Close()
			}
			return err
		}, none},
		{"tools", func() error { return databaseExists("sqlite:") }, none},
		{"a blank after the path", func() error {
			s, err := openStore(t.Context(), "sqlite:"+t.TempDir()+"/getpaid.db ")
			if err == nil {
				_ = s.Close()
			}
			return err
		}, blanks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// Every command that reads the config warns, on stderr, of a GETPAID_
// variable that sets nothing: serve did alone, so a misspelt
// GETPAID_DATABSE had migrate or a record tool work on the file's database
// without a word.
func TestEveryCommandWarnsOfIgnoredVariables(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeConfig(t, "listen: 127.0.0.1:0\nbase_url: https://pay.example.com\ndatabase: sqlite:"+dir+"/g.db\n"+
		"api_keys: [server-api-key-0123456789]\nbackends:\n  dummy:\n    secret: s\n")
	bin := getpaidBin(t)
	if out, err := exec.Command(bin, "migrate", "--config", path).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"migrate", "--config", path},
		{"backends", "--config", path},
		{"config", "dummy", "--base-url", "https://pay.example.com", "--config", path},
		{"operations", "list", "--config", path},
		{"events", "list", "--config", path},
	} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "GETPAID_DATABSE=sqlite:"+dir+"/other.db")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, stderr.String())
			}
			if want := "warning: environment: GETPAID_DATABSE is not a setting"; !strings.Contains(stderr.String(), want) || strings.Contains(stdout.String(), "GETPAID_DATABSE") {
				t.Fatalf("%v: stderr %q, want it to say %q (and stdout not)", args, stderr.String(), want)
			}
		})
	}
}
