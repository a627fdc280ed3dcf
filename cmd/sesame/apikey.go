package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/config"
)

// #nosec G101 -- the command's usage text, no credential
const apikeyUsage = `usage:
  sesame apikey create --db DSN --library CODE --name NAME   prints the new key, once
  sesame apikey list --db DSN
  sesame apikey revoke --db DSN --id N
A key opens the JSON API (/api/v1) for one library: see docs/api.md`

// apikeyCommand manages the keys of the JSON API, as the « Clés d'API »
// page does; random is where keys are drawn from.
func apikeyCommand(ctx context.Context, args []string, stdout io.Writer, env config.Env, random io.Reader) error {
	if len(args) == 0 {
		return errors.New(apikeyUsage)
	}
	fs := flag.NewFlagSet("apikey "+args[0], flag.ContinueOnError)
	var library, name string
	var id int64
	switch args[0] {
	case "create":
		fs.StringVar(&library, "library", "", "the code of the library the key is for")
		fs.StringVar(&name, "name", "", "a name that says who uses the key, such as \"Koha nuit\"")
	case "revoke":
		fs.Int64Var(&id, "id", 0, "the key's number, as apikey list shows it")
	case "list":
	default:
		return errors.New(apikeyUsage)
	}
	st, _, err := loadAndOpen(ctx, fs, args[1:], env)
	if err != nil {
		return err
	}
	defer st.Close()
	actor := sesame.Actor{Label: "ligne de commande"}
	switch args[0] {
	case "list":
		keys, err := st.APIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLIBRARY\tNAME\tKEY\tCREATED\tLAST USE\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.LibraryCode, k.Name, k.Hint, stamp(k.CreatedAt), stamp(k.LastUsedAt), stamp(k.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		if id <= 0 {
			return errors.New("--id: give the key's number (see sesame apikey list)")
		}
		k, err := st.RevokeAPIKey(ctx, id, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Key %d (%s, %s) revoked: it opens nothing from now on.\n", k.ID, k.LibraryCode, k.Name)
		return nil
	}
	if library == "" || strings.TrimSpace(name) == "" {
		return errors.New("--library and --name are both needed")
	}
	libs, err := st.Libraries(ctx)
	if err != nil {
		return err
	}
	var libID int64
	for _, l := range libs {
		if strings.EqualFold(l.Code, library) {
			libID = l.ID
		}
	}
	if libID == 0 {
		return fmt.Errorf("--library %q: no library has this code", library)
	}
	k, secret, err := st.CreateAPIKey(ctx, libID, name, random, actor)
	if err != nil {
		var e *sesame.Error
		if errors.As(err, &e) {
			return fmt.Errorf("key not created: %s", e.Message)
		}
		return err
	}
	fmt.Fprintf(stdout, "Key %d created for %s (%s). It is shown now only; keep it in the library system's job:\n%s\n", k.ID, k.LibraryCode, k.Name, secret)
	return nil
}

// stamp writes a time of the list in UTC, "-" when there is none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
