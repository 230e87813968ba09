package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/getpaid-go/getpaid"
)

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "[--config FILE]", "getpaid migrate --config getpaid.yaml")
	path := fs.String("config", "getpaid.yaml", "config file")
	if err := fs.parse(args); err != nil {
		return err
	}
	c, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	// The backends' settings too, as serve checks them before it opens
	// the database: a deploy running migrate first hears of them there.
	_, reg, err := checkedRegistry(c)
	if err != nil {
		return err
	}
	_ = reg.Close()
	if c.Database == "memory:" {
		return errors.New("migrate: the memory: database has no schema to migrate")
	}
	applied, err := migrateStore(ctx, c.Database)
	if err != nil {
		return schemaAdvice(c.settingErr("database", err), *path)
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
		return nil
	}
	for _, v := range applied {
		fmt.Fprintf(stdout, "applied migration %d\n", v)
	}
	return nil
}

// cmdBackends lists the enabled backends (with --config) or every backend
// this binary knows, with their currencies.
func cmdBackends(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backends", "[--config FILE]", "getpaid backends --config getpaid.yaml")
	path := fs.String("config", "", "config file (without it: every backend getpaid knows, with default currencies)")
	if err := fs.parse(args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	if *path == "" {
		// The note first: a line without tabs ends tabwriter's columns.
		fmt.Fprintln(tw, "(every kind this getpaid knows, with its default currencies)")
		fmt.Fprintln(tw, "NAME\tCURRENCIES\tTITLE")
		kinds := backendKinds()
		for _, n := range kindNames() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", n, strings.Join(kinds[n].currencies, " "), kinds[n].title)
		}
		return nil
	}
	c, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	_, reg, err := checkedRegistry(c)
	if err != nil {
		return err
	}
	defer reg.Close()
	fmt.Fprintln(tw, "NAME\tCURRENCIES\tTITLE\tKIND") // only once the config is accepted
	for _, b := range reg.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Name, strings.Join(getpaid.Currencies(b.Broker), " "), b.Title, b.Kind)
	}
	return nil
}

// cmdConfig prints what to enter in a broker's panel (django-getpaid's
// payu_configuration).
func cmdConfig(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("config", "BACKEND --base-url URL [--config FILE]", "getpaid config payu --base-url https://pay.example.com --config getpaid.yaml")
	base := fs.String("base-url", "", "public URL where getpaid is reachable (required, unless --config's file sets base_url)")
	path := fs.String("config", "", "config file (uses the backend's settings from it, and its base_url when --base-url is left out)")
	name, rest, err := fs.positional(args, "the backend (a kind: "+strings.Join(kindNames(), ", ")+"; with --config, any backend name)")
	if err != nil {
		return err
	}
	if err := fs.parse(rest); err != nil {
		return err
	}
	if *base == "" && *path == "" {
		return fs.usage("--base-url is required: the public URL where getpaid is reachable")
	}
	if *base != "" {
		if err := checkBaseURL(*base); err != nil {
			return fs.usage("--base-url: %v", err)
		}
	}
	var broker getpaid.Broker
	if *path != "" {
		c, err := loadConfig(*path, stderr)
		if err != nil {
			return err
		}
		if *base == "" {
			// What serve sends brokers: the file's base_url (or
			// GETPAID_BASE_URL), never the try-out default made from
			// listen, which no broker can reach.
			if c.baseFromListen {
				return fs.usage("--base-url is required: %s sets no base_url, and serve's try-out default (%s) reaches no broker: set base_url (or GETPAID_BASE_URL), or give --base-url, the public URL where getpaid is reachable", *path, c.BaseURL)
			}
			*base = c.BaseURL
		} else if err := consolePath(*base); err != nil && len(c.Admin.Users) > 0 {
			// What serve refuses as the file's base_url with admin users.
			return fs.usage("--base-url: %v", err)
		}
		_, reg, err := checkedRegistry(c)
		if err != nil {
			return err
		}
		defer reg.Close()
		b, ok := reg.Get(name)
		if !ok {
			return fs.usage("backend %q is not enabled in %s (enabled: %s)", name, *path, strings.Join(reg.Names(), ", "))
		}
		broker = b.Broker
	} else {
		k, ok := backendKinds()[name]
		if !ok {
			return fs.usage("unknown backend kind %q (known: %s); with --config, any backend name", name, strings.Join(kindNames(), ", "))
		}
		broker, err = k.build(name, placeholderSettings(name))
		if err != nil {
			return err
		}
		if c, ok := broker.(io.Closer); ok {
			defer c.Close()
		}
	}
	env := getpaid.NewEnv(name, *base, nil)
	fmt.Fprintf(stdout, "Settings for %s in the broker's panel, for getpaid at %s:\n\n", name, env.BaseURL)
	placeholders := false
	if cf, ok := broker.(getpaid.Configurator); ok {
		for _, s := range cf.PanelSettings(env) {
			v := s.Value
			if *path == "" {
				v = placeholderIDs.Replace(v)
			}
			placeholders = placeholders || strings.Contains(v, "<your ")
			fmt.Fprintf(stdout, "  %s: %s\n", s.Name, v)
		}
	} else {
		fmt.Fprintf(stdout, "  Notification URL: %s\n", env.CallbackURL())
	}
	if *path == "" && placeholders {
		fmt.Fprintln(stdout, "\n(<your ...> values are placeholders: add --config FILE to print your own settings)")
	}
	return nil
}

type headerFlags http.Header

func (h *headerFlags) String() string { return "" }

func (h *headerFlags) repeatable() {}

func (h *headerFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("header %q: want \"Name: value\"", v)
	}
	if *h == nil {
		*h = headerFlags{}
	}
	http.Header(*h).Add(strings.TrimSpace(k), strings.TrimSpace(val))
	return nil
}
