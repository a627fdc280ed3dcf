package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// A bulk load into an empty table is faster without its secondary indexes,
// built once at the end from the sorted rows, than with every row's key
// inserted into each of them in turn (what pg_restore does). DeferIndexes
// drops them, recording each one's definition in deferred_indexes in the
// same transaction; RestoreIndexes builds the recorded ones again. Unique
// indexes and primary keys stay: they refuse a duplicate as it comes, and a
// resumed copy relies on them to skip the rows already there. Triggers stay
// too. Migrate restores whatever an interrupted load left recorded.

// DeferIndexes drops the secondary indexes of those of tables that hold no
// row (and on PostgreSQL their foreign keys), and records them for
// RestoreIndexes. It returns how many it dropped.
func (s *Store) DeferIndexes(ctx context.Context, tables ...string) (int, error) {
	dropped := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range tables {
			used, err := hasRows(ctx, tx, table)
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			if used {
				continue
			}
			indexes, err := s.secondaryIndexes(ctx, tx, table)
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			for _, ix := range indexes {
				if _, err := tx.ExecContext(ctx, `INSERT INTO deferred_indexes (name, table_name, definition) VALUES ($1, $2, $3)`,
					ix.name, table, ix.definition); err != nil {
					return fmt.Errorf("record index %s: %w", ix.name, err)
				}
				if _, err := tx.ExecContext(ctx, ix.drop); err != nil {
					return fmt.Errorf("drop %s: %w", ix.name, err)
				}
				dropped++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("defer indexes: %w", err)
	}
	return dropped, nil
}

// RestoreIndexes builds every index recorded by DeferIndexes, each in its
// own transaction with its record, and returns how many it built.
func (s *Store) RestoreIndexes(ctx context.Context) (int, error) {
	// The trigram index leads, the longest build.
	rows, err := s.writePool.QueryContext(ctx, `SELECT name, definition FROM deferred_indexes
		ORDER BY CASE WHEN definition LIKE '% USING gin %' THEN 0 ELSE 1 END, table_name, name`)
	if err != nil {
		return 0, fmt.Errorf("restore indexes: %w", err)
	}
	var indexes, foreignKeys []tableIndex
	err = scanEach(rows, func(r *sql.Rows) error {
		var ix tableIndex
		if err := r.Scan(&ix.name, &ix.definition); err != nil {
			return err
		}
		// Indexes first: a foreign key checks its rows through them.
		if strings.HasPrefix(ix.definition, "ALTER TABLE ") {
			foreignKeys = append(foreignKeys, ix)
		} else {
			indexes = append(indexes, ix)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("restore indexes: %w", err)
	}
	// PostgreSQL builds an index on one core (the trigram index's) or a
	// few: two builds at a time, each on its own connection, use a second
	// core while the longest runs. SQLite has one writer. The foreign keys
	// then, one at a time: two at once would lock the same tables.
	builders := 1
	if s.dialect == postgresDialect {
		builders = 2
	}
	built, err := s.restoreEach(ctx, indexes, builders)
	if err != nil {
		return built, err
	}
	n, err := s.restoreEach(ctx, foreignKeys, 1)
	return built + n, err
}

// restoreEach builds indexes, at most builders at a time, and returns how
// many it built. After a failure it starts no other, and returns the
// failure once those under way have ended.
func (s *Store) restoreEach(ctx context.Context, indexes []tableIndex, builders int) (int, error) {
	next := make(chan tableIndex)
	var (
		mu    sync.Mutex
		built int
		errs  []error
	)
	var wg sync.WaitGroup
	for range builders {
		wg.Go(func() {
			for ix := range next {
				err := s.restoreIndex(ctx, ix)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("restore index %s: %w", ix.name, err))
				} else {
					built++
				}
				mu.Unlock()
			}
		})
	}
	for _, ix := range indexes {
		mu.Lock()
		failed := len(errs) > 0
		mu.Unlock()
		if failed {
			break
		}
		next <- ix
	}
	close(next)
	wg.Wait()
	return built, errors.Join(errs...)
}

// restoreIndex builds ix and forgets its record, in one transaction.
func (s *Store) restoreIndex(ctx context.Context, ix tableIndex) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.dialect == postgresDialect {
			// The sort of a build in memory rather than in runs on
			// disk; for this transaction only.
			if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, ix.definition); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM deferred_indexes WHERE name = $1`, ix.name)
		return err
	})
}

// hasRows tells whether table holds a row.
func hasRows(ctx context.Context, q queryer, table string) (bool, error) {
	var used bool
	// #nosec G202 -- table names come from the callers' own lists, never from input.
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+`)`).Scan(&used)
	return used, err
}

// tableIndex is an index, or on PostgreSQL a foreign key, that a bulk load
// may put off: the statements that drop it and create it again.
type tableIndex struct{ name, definition, drop string }

// secondaryIndexes lists the indexes of table that are neither unique nor
// a primary key, with the statements that drop and create each. On
// PostgreSQL, the table's foreign keys come too: each row's check is a
// query of its own (RI_FKey_check_ins), most of the cost of loading grants,
// while adding the constraint back checks every row at once, in one join,
// as pg_restore does. SQLite checks a foreign key in process, cheaply, and
// cannot drop one.
func (s *Store) secondaryIndexes(ctx context.Context, q queryer, table string) ([]tableIndex, error) {
	// SQLite: origin 'c' is an index of CREATE INDEX, not one a constraint made.
	query := `SELECT l.name, m.sql, 'DROP INDEX ' || l.name FROM pragma_index_list($1) l
		JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name
		WHERE l."unique" = 0 AND l.origin = 'c' ORDER BY l.name`
	if s.dialect == postgresDialect {
		query = `SELECT c.relname, pg_get_indexdef(i.indexrelid), format('DROP INDEX %I', c.relname)
			FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			WHERE i.indrelid = to_regclass($1) AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion
			UNION ALL
			SELECT conname, format('ALTER TABLE %I ADD CONSTRAINT %I %s', $1::text, conname, pg_get_constraintdef(oid)),
				format('ALTER TABLE %I DROP CONSTRAINT %I', $1::text, conname)
			FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'f'
			ORDER BY 1`
	}
	rows, err := q.QueryContext(ctx, query, table)
	if err != nil {
		return nil, err
	}
	var indexes []tableIndex
	err = scanEach(rows, func(r *sql.Rows) error {
		var ix tableIndex
		if err := r.Scan(&ix.name, &ix.definition, &ix.drop); err != nil {
			return err
		}
		indexes = append(indexes, ix)
		return nil
	})
	return indexes, err
}
