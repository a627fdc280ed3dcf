package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/store"
)

// postgresBackup is what "sesame backup" says of a PostgreSQL database,
// which pg_dump copies better than Sésame could.
const postgresBackup = `The database is PostgreSQL: Sésame does not copy it, pg_dump does.
Nothing was written.

Back it up (custom format, compressed, consistent while Sésame runs):

  pg_dump --format=custom --file=sesame.dump "$SESAME_DB"

Restore it (Sésame stopped; replaces the tables of the target database):

  pg_restore --clean --if-exists --no-owner --dbname="$SESAME_DB" sesame.dump

SESAME_DB is the postgres:// address Sésame runs with. See docs/backup.md.
`

// backup writes a consistent copy of the SQLite database while the server
// may be running, or explains pg_dump for PostgreSQL.
func backup(ctx context.Context, args []string, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	out := fs.String("out", "", "file to write, which must not exist (default sesame-backup-YYYYMMDD-HHMMSS.db, UTC, in the current directory)")
	cfg, err := config.Load(fs, args, env, config.DefaultDB)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup: unexpected argument %q", fs.Arg(0))
	}
	if store.IsPostgres(cfg.DB) {
		fmt.Fprint(stdout, postgresBackup)
		return nil
	}
	if *out == "" {
		*out = defaultBackupName(time.Now())
	}
	// Opening a missing file would create an empty database and back that
	// up: a mistyped --db must fail instead.
	if fi, err := os.Stat(cfg.DB); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("backup: no database at %s: set --db or SESAME_DB", cfg.DB)
		}
		return fmt.Errorf("backup: %w", err)
	} else if fi.IsDir() {
		return fmt.Errorf("backup: %s is a directory, not a database file", cfg.DB)
	}

	st, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.BackupTo(ctx, *out); err != nil {
		return err
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "Backup of %s written to %s (%s).\n", cfg.DB, *out, byteSize(fi.Size()))
	return nil
}

// defaultBackupName names a backup after the moment it was taken, in UTC,
// so that names sort by date.
func defaultBackupName(t time.Time) string {
	return "sesame-backup-" + t.UTC().Format("20060102-150405") + ".db"
}

// byteSize writes n in bytes, and in MB or kB when that is easier to read.
func byteSize(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f MB, %d bytes", float64(n)/1e6, n)
	case n >= 1_000:
		return fmt.Sprintf("%.1f kB, %d bytes", float64(n)/1e3, n)
	}
	return fmt.Sprintf("%d bytes", n)
}
