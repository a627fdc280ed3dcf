package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/sigb"
	"github.com/bdf29/sesame/internal/store"
)

// importCommand previews a renewal file exported from the library system
// (SIGB), or applies it with --apply: the same service as the page
// « Importer depuis le SIGB » and the API, so that a line gives the same
// result everywhere. Without --library, the file is the network's, and
// each line names its library.
func importCommand(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger, env config.Env) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	code := fs.String("library", "", "the code of the library whose patrons the file lists; without it, each line names its library")
	encoding := fs.String("encoding", "", "the file's encoding (utf-8, windows-1252, iso-8859-15); detected when not given")
	apply := fs.Bool("apply", false, "apply the renewals; without it, only preview them")
	st, cfg, err := loadAndOpen(ctx, fs, args, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if fs.NArg() != 1 {
		return errors.New("import: give one file, for example: sesame import --db DSN --library CODE export.csv")
	}
	path := fs.Arg(0)
	in := renewals.Input{Source: filepath.Base(path)}
	if *code != "" {
		lib, err := libraryByCode(ctx, st, *code)
		if err != nil {
			return err
		}
		in.LibraryID = lib.ID
	}
	f, err := os.Open(path) // #nosec G304 -- the file the operator names on the command line
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	rd, err := sigb.Open(f, in.Source, sigb.Options{Encoding: *encoding})
	if err != nil {
		return fmt.Errorf("import: %s", sesame.ErrorMessage(err))
	}
	defer rd.Close()
	if msg := rd.MissingMessage(); msg != "" {
		return fmt.Errorf("import: %s", msg)
	}
	svc := app.RenewalService(st, cfg, time.Now, logger)
	var sum renewals.Summary
	if *apply {
		sum, err = svc.Apply(ctx, store.NetworkScope(), in, rd, sesame.Actor{Label: "sesame import (ligne de commande)"})
	} else {
		sum, err = svc.Preview(ctx, store.NetworkScope(), in, rd)
	}
	printSummary(stdout, sum)
	if err != nil {
		return fmt.Errorf("import: %s", sesame.ErrorMessage(err))
	}
	if *apply {
		fmt.Fprintf(stdout, "%d lines read, %d applied.\n", sum.Total, sum.Changed())
	} else {
		fmt.Fprintf(stdout, "%d lines read; preview: nothing changed. Run again with --apply to apply them.\n", sum.Total)
	}
	return nil
}

// libraryByCode finds a library by its code, case aside.
func libraryByCode(ctx context.Context, st *store.Store, code string) (*sesame.Library, error) {
	libs, err := st.Libraries(ctx)
	if err != nil {
		return nil, err
	}
	for i := range libs {
		if strings.EqualFold(libs[i].Code, strings.TrimSpace(code)) {
			return &libs[i], nil
		}
	}
	return nil, fmt.Errorf("--library: no library has the code %q", code)
}

// printSummary prints the count of each outcome, then the lines that need
// a look: malformed, ambiguous, unknown.
func printSummary(w io.Writer, sum renewals.Summary) {
	for _, o := range renewals.Outcomes {
		if n := sum.Counts[o]; n > 0 {
			fmt.Fprintf(w, "%-45s %d\n", o.Label(), n)
		}
	}
	for _, l := range sum.Lines {
		switch l.Outcome {
		case renewals.Malformed, renewals.Ambiguous, renewals.Unknown:
			card := ""
			if l.Card != "" {
				card = " (carte " + l.Card + ")"
			}
			fmt.Fprintf(w, "ligne %d%s : %s — %s\n", l.Line, card, l.Outcome.Label(), l.Reason)
		}
	}
}
