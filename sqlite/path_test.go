package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getpaid-go/getpaid"
	"github.com/getpaid-go/getpaid/sqlite"
)

// Open and Migrate take the path of a database file. A path that names no
// file is refused with an error saying what to give instead
// (getpaid.ErrInvalidRequest, not the "try again" of ErrUnavailable), and
// nothing is created. Before, ":memory:" (SQLite's in-memory database, as
// a Go developer would pass it in a test) and "file:" URIs silently made
// files of those names, with their companions, in the working directory, so
// "in-memory" payments outlived the test run; an empty path or a directory
// was "store unavailable: unable to open database file: open DIR: is a
// directory".
func TestOpenRefusesWhatIsNoFilePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct{ path, want string }{
		{"", "a database file path is required"},
		{":memory:", "memory.New"},
		{"file:shop.db?mode=memory", "a file path, not a URI"},
		{"file::memory:", "a file path, not a URI"},
		{dir, "is a directory"},
	} {
		for name, open := range map[string]func() error{
			"Open": func() error {
				s, err := sqlite.Open(context.Background(), tc.path, sqlite.Options{})
				if err == nil {
					s.Close()
				}
				return err
			},
			"Migrate": func() error {
				_, err := sqlite.Migrate(context.Background(), tc.path, sqlite.Options{})
				return err
			},
		} {
			err := open()
			if !errors.Is(err, getpaid.ErrInvalidRequest) || errors.Is(err, getpaid.ErrUnavailable) || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s(%q): %v, want ErrInvalidRequest saying %q", name, tc.path, err, tc.want)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s was created", filepath.Join(dir, e.Name()))
	}
}

// A path naming a file that is not a SQLite database (a config pointing at
// the wrong file) is refused as such, with what to do, and the file is left
// as it was. Before it was "store unavailable: sqlite3: invalid _pragma:
// sqlite3: file is not a database": the driver's words, and a "try again"
// that never helps.
func TestOpenRefusesAFileThatIsNoDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "notes.txt")
	const text = "not a database\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() error{
		"Open": func() error {
			s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			if err == nil {
				s.Close()
			}
			return err
		},
		"Migrate": func() error {
			_, err := sqlite.Migrate(context.Background(), path, sqlite.Options{})
			return err
		},
	} {
		err := open()
		if !errors.Is(err, getpaid.ErrInvalidRequest) || !errors.Is(err, sqlite.ErrNotDatabase) || errors.Is(err, getpaid.ErrUnavailable) ||
			!strings.Contains(err.Error(), path+" is not a SQLite database") || strings.Contains(err.Error(), "_pragma") {
			t.Errorf("%s: %v, want ErrInvalidRequest saying %s is not a SQLite database", name, err, path)
		}
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != text {
		t.Fatalf("the file now holds %q (%v)", b, err)
	}
}
