package store

import (
	"context"
	"fmt"
)

// Size is how many bytes the database takes on disk: on SQLite the file,
// once the write-ahead log is folded into it; on PostgreSQL the tables of
// the store's schema, with their indexes and TOAST. It lets a test bound
// what anonymous requests leave behind.
func (s *Store) Size(ctx context.Context) (int64, error) {
	if s.dialect == postgresDialect {
		var n int64
		err := s.writePool.QueryRowContext(ctx, `
			SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT
			FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
			WHERE ns.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("database size: %w", err)
		}
		return n, nil
	}
	conn, err := s.writePool.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return 0, fmt.Errorf("checkpoint: %w", err)
	}
	var pages, pageSize int64
	if err := conn.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return pages * pageSize, nil
}
