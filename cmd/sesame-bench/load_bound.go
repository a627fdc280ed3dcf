package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

const loadBoundUsage = `usage: sesame-bench load-bound --from SEEDED.db --to NEW.db

Measures what SQLite itself costs to load a seeded network, with no Go code
in the path: into a new, migrated file, the same rows are copied from the
seeded one by INSERT … SELECT, in one transaction, with the secondary
indexes dropped first and built after, each in its own, as seeding does.
It is the bound of seeding on SQLite through the driver Sésame uses
(modernc.org/sqlite): seeding cannot be faster than its database's own
work.

Flags:`

// runLoadBound is "sesame-bench load-bound".
func runLoadBound(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sesame-bench load-bound", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), loadBoundUsage); fs.PrintDefaults() }
	from := fs.String("from", "", "a SQLite file seeded by sesame-bench --seed-only")
	to := fs.String("to", "", "a SQLite file to create; it must not exist")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return fmt.Errorf("load-bound: --from and --to are required (see sesame-bench load-bound -h)")
	}
	if _, err := os.Stat(*to); err == nil {
		return fmt.Errorf("load-bound: %s exists", *to)
	}
	st, err := store.Open(ctx, *to, store.Options{}) // a SQLite file is migrated as it opens
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	// The file as the store's writer opens it, on one connection.
	db, err := sql.Open("sqlite", store.SQLiteWriterDSN(*to))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	var indexes []string
	rows, err := conn.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ('patrons', 'grants', 'audit_events')`)
	if err != nil {
		return err
	}
	var drops []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		drops, indexes = append(drops, "DROP INDEX "+name), append(indexes, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	step := func(name string, statements ...string) error {
		t0 := time.Now()
		for _, s := range statements {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		fmt.Fprintf(out, "| %s | %.2f s |\n", name, time.Since(t0).Seconds())
		return nil
	}
	fmt.Fprintf(out, "SQLite's own work to load %s (modernc.org/sqlite, no Go code in the path):\n\n| step | time |\n|---|---|\n", *from)
	start := time.Now()
	if err := step("attach, drop the secondary indexes", append([]string{"ATTACH DATABASE " + sqlString("file:"+*from+"?mode=ro") + " AS seeded"}, drops...)...); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	if err := step("empty the migration's rows", "DELETE FROM main.network", "DELETE FROM main.libraries", "DELETE FROM main.resources"); err != nil {
		return err
	}
	// The tables seeding fills, parents first; the trigram table keeps no
	// text (contentless), so it is filled from the patrons' search_text, in
	// the order of its keys, as seeding does.
	for _, t := range []string{"network", "libraries", "resources", "staff", "patrons", "grants", "audit_events"} {
		if err := step("insert "+t, fmt.Sprintf("INSERT INTO main.%[1]s SELECT * FROM seeded.%[1]s", t)); err != nil {
			return err
		}
	}
	if err := step("insert patron_search (trigrams)", `INSERT INTO main.patron_search (rowid, search_text)
		SELECT (library_id << 32) | id, search_text FROM main.patrons ORDER BY 1`); err != nil {
		return err
	}
	if err := step("commit", "COMMIT"); err != nil {
		return err
	}
	// Each index in a transaction of its own, as seeding builds them.
	if err := step(fmt.Sprintf("build the %d secondary indexes", len(indexes)), indexes...); err != nil {
		return err
	}
	var patrons int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM main.patrons").Scan(&patrons); err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Fprintf(out, "\n%d patrons in %.1f s: %.0f patrons/s is the bound of seeding on this machine\n", patrons, d.Seconds(), float64(patrons)/d.Seconds())
	return nil
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
