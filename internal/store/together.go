package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// read is one statement of readTogether: scan is handed its rows one by one.
type read struct {
	query string
	args  []any
	scan  func(row interface{ Scan(...any) error }) error
}

// readTogether runs reads in one round trip on PostgreSQL, a pgx batch on
// one connection, where each statement would otherwise be a trip of its own
// across the network; on SQLite, in process, one after the other. Each
// read sees the database as its own statement would: they are not one
// snapshot.
func (s *Store) readTogether(ctx context.Context, reads ...read) error {
	if s.dialect == sqliteDialect {
		for _, r := range reads {
			if err := s.readOne(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}
	return s.withPgx(ctx, func(conn *pgx.Conn) error {
		var batch pgx.Batch
		for _, r := range reads {
			batch.Queue(r.query, r.args...).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					if err := r.scan(rows); err != nil {
						return err
					}
				}
				return rows.Err()
			})
		}
		if err := conn.SendBatch(ctx, &batch).Close(); err != nil {
			return fmt.Errorf("read together: %w", err)
		}
		return nil
	})
}

// readOne runs one read on the prepared statements of the read pool.
func (s *Store) readOne(ctx context.Context, r read) error {
	rows, err := s.readStmts.QueryContext(ctx, r.query, r.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := r.scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
