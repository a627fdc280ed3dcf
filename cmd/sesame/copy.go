package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// copyCommand copies a whole network from one database to another, most
// often a SQLite pilot into the PostgreSQL of production. It can be run
// again: an interrupted copy resumes, a finished one writes nothing.
func copyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "database to copy: a SQLite file or a postgres:// URL")
	to := fs.String("to", "", "database to copy into, migrated first: a SQLite file (created if missing) or a postgres:// URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("copy: unexpected argument %q", fs.Arg(0))
	case *from == "" || *to == "":
		return errors.New("usage: sesame copy --from DATABASE --to DATABASE")
	case *from == *to:
		return errors.New("copy: --from and --to name the same database")
	}
	// Opening a missing SQLite file would create an empty database, and
	// copy that: a mistyped --from must fail instead.
	if !store.IsPostgres(*from) {
		if fi, err := os.Stat(*from); err != nil {
			return fmt.Errorf("copy: no database at %s", *from)
		} else if fi.IsDir() {
			return fmt.Errorf("copy: %s is a directory, not a database file", *from)
		}
	}

	src, err := store.Open(ctx, *from, store.Options{})
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	defer src.Close()
	dst, err := store.Open(ctx, *to, store.Options{})
	if err != nil {
		return fmt.Errorf("copy: target: %w", err)
	}
	defer dst.Close()

	fmt.Fprintf(stderr, "Copying %s (%s) into %s (%s).\n", redactDSN(*from), src.Engine(), redactDSN(*to), dst.Engine())
	terminal := false
	if f, ok := stderr.(*os.File); ok {
		terminal = isTerminal(f)
	}
	bar := &progressBar{w: stderr, terminal: terminal, now: time.Now}
	start := time.Now()
	report, err := store.Copy(ctx, src, dst, bar.update)
	bar.finish()
	elapsed := time.Since(start)
	printCopyReport(stdout, report)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("copy interrupted (%w): the rows written so far are kept; run the same command again to resume", ctx.Err())
		}
		return err
	}
	rate := float64(report.Written()) / elapsed.Seconds()
	fmt.Fprintf(stdout, "%d rows written in %s (%.0f rows/s); every table holds as many rows in the target as in the source.\n",
		report.Written(), elapsed.Round(100*time.Millisecond), rate)
	return nil
}

// redactDSN hides the password of a postgres:// URL, for printing.
func redactDSN(dsn string) string {
	if !store.IsPostgres(dsn) {
		return dsn
	}
	scheme, rest, _ := strings.Cut(dsn, "://")
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return dsn
	}
	if user, _, hasPassword := strings.Cut(userinfo, ":"); hasPassword {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return dsn
}

func printCopyReport(w io.Writer, r store.CopyReport) {
	if len(r.Tables) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tin source\twritten now\tin target\t")
	for _, t := range r.Tables {
		target := "?" // the copy stopped before counting
		if r.Counted {
			target = fmt.Sprint(t.Target)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t\n", t.Table, t.Source, t.Written, target)
	}
	tw.Flush()
	fmt.Fprintln(w, "patron_counts is computed again from the copied patrons.")
	if len(r.NotCopied) > 0 {
		fmt.Fprintf(w, "Not copied: %s (short-lived: everyone signs in again on the new database).\n", strings.Join(r.NotCopied, ", "))
	}
}

// progressBar draws the progress of each table on one line: redrawn in place
// at most ten times a second on a terminal, or written once per tenth when
// the output is a file or a pipe.
type progressBar struct {
	w        io.Writer
	terminal bool
	now      func() time.Time

	table  string
	open   bool      // the terminal line of table is drawn but not ended
	drawn  time.Time // when it was last drawn
	tenths int       // off a terminal: the tenths already written for table
}

const progressWidth = 20

func (b *progressBar) update(table string, done, total int) {
	if table != b.table {
		b.finish()
		b.table, b.drawn, b.tenths = table, time.Time{}, 0
	}
	complete := done >= total
	if !b.terminal {
		tenths := 10
		if total > 0 {
			tenths = done * 10 / total
		}
		if tenths > b.tenths {
			b.tenths = tenths
			fmt.Fprintln(b.w, progressLine(table, done, total))
		}
		return
	}
	now := b.now()
	if !complete && b.open && now.Sub(b.drawn) < 100*time.Millisecond {
		return
	}
	fmt.Fprint(b.w, "\r"+progressLine(table, done, total))
	b.drawn, b.open = now, true
	if complete {
		b.finish()
	}
}

// finish ends the line of the table being drawn.
func (b *progressBar) finish() {
	if b.open {
		fmt.Fprintln(b.w)
		b.open = false
	}
}

// progressLine is "patrons        [##########----------]   512000/1000000  51%".
func progressLine(table string, done, total int) string {
	percent := 100
	if total > 0 {
		percent = done * 100 / total
	}
	filled := percent * progressWidth / 100
	bar := strings.Repeat("#", filled) + strings.Repeat("-", progressWidth-filled)
	width := len(fmt.Sprint(total))
	return fmt.Sprintf("%-13s [%s] %*d/%d %3d%%", table, bar, width, done, total, percent)
}
