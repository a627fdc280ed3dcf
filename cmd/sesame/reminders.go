package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/config"
)

// remindersCommand lists the reminders before the end of validity due on a
// day, or puts them in the outbox, as the nightly job does: each reminder
// is sent once, whoever sends it first.
func remindersCommand(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger, env config.Env) error {
	fs := flag.NewFlagSet("reminders", flag.ContinueOnError)
	date := fs.String("date", "", "the day whose reminders are due, JJ/MM/AAAA (default: today, in Europe/Paris)")
	dryRun := fs.Bool("dry-run", false, "list the reminders due, and send nothing")
	st, cfg, err := loadAndOpen(ctx, fs, args, env)
	if err != nil {
		return err
	}
	defer st.Close()
	sender := app.ReminderSender(st, cfg, time.Now, logger)
	day := sender.Today()
	if *date != "" {
		if day, err = sesame.ParseDate(*date); err != nil {
			return fmt.Errorf("--date: %w", err)
		}
	}
	due, err := sender.Due(ctx, day)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATRON\tE-MAIL\tEND OF VALIDITY\tREMINDER\tLIBRARY")
	for _, d := range due {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Patron.FullName(), d.Patron.Email, d.Patron.ValidUntil, d.Offset.Label(), d.Library)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if *dryRun {
		fmt.Fprintf(stdout, "%d reminders due on %s; dry run: nothing sent.\n", len(due), day)
		return nil
	}
	sent, err := sender.Send(ctx, day)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d reminders put in the outbox; the server sends them.\n", sent)
	return nil
}
