package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
)

// BackupTo writes a consistent copy of the SQLite database to path, while
// other connections, or another process such as the running server, go on
// writing: VACUUM INTO reads one snapshot of the database.
//
// The copy is written to a temporary file beside path, synced, then given
// its final name, so that a crash never leaves half a file under path. An
// existing path is refused, never overwritten. The file is readable by its
// owner only, as it holds personal data.
//
// PostgreSQL is backed up with pg_dump, not through the store.
func (s *Store) BackupTo(ctx context.Context, path string) error {
	if _, ok := s.writePool.Driver().(*sqlite.Driver); !ok {
		return errors.New("backup: only a SQLite database can be copied by Sésame; back PostgreSQL up with pg_dump")
	}
	if err := refuseExisting(path); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// VACUUM INTO accepts an empty file, and CreateTemp gives one with a
	// name no one else holds.
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpPath)
			os.Remove(tmpPath + "-journal")
		}
	}()

	if _, err := s.writePool.ExecContext(ctx, `VACUUM INTO $1`, tmpPath); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := publish(tmpPath, path); err != nil {
		return err
	}
	done = true
	os.Remove(tmpPath) // after a hard link, the final name alone remains
	// #nosec G304 -- the directory of the path the operator chose.
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the new name survives a crash; not every system can sync a directory
		d.Close()
	}
	return nil
}

// refuseExisting is the clear error for a destination that is already there.
func refuseExisting(path string) error {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return existsError(path)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("backup: %w", err)
	}
}

func existsError(path string) error {
	return fmt.Errorf("backup: %s already exists; choose another file, or remove it first", path)
}

// publish gives the finished copy its final name without replacing a file
// that appeared there meanwhile: a hard link fails if the name is taken.
// Where hard links are not supported, it checks again and renames.
func publish(tmpPath, path string) error {
	err := os.Link(tmpPath, path)
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return existsError(path)
	}
	if err := refuseExisting(path); err != nil {
		return err
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0) // #nosec G304 -- the temporary file Backup just created
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
