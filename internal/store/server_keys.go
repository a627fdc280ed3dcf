package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// serverKeySize is the size of a shared secret: 256 bits.
const serverKeySize = 32

// ServerKey returns the secret named name that all instances share. The
// first call draws it from random; when two instances draw at once, the
// first write wins and both read it back.
func (s *Store) ServerKey(ctx context.Context, name string, random io.Reader) ([]byte, error) {
	var encoded string
	err := s.readStmts.QueryRowContext(ctx, `SELECT secret FROM server_keys WHERE name = $1`, name).Scan(&encoded)
	if errors.Is(err, sql.ErrNoRows) {
		fresh := make([]byte, serverKeySize)
		if _, err := io.ReadFull(random, fresh); err != nil {
			return nil, fmt.Errorf("server key %s: %w", name, err)
		}
		if _, err := s.writePool.ExecContext(ctx, `INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, name, base64.StdEncoding.EncodeToString(fresh), s.Now()); err != nil {
			return nil, fmt.Errorf("server key %s: %w", name, err)
		}
		// Read from the writer: the reader may not see the row yet.
		err = s.writePool.QueryRowContext(ctx, `SELECT secret FROM server_keys WHERE name = $1`, name).Scan(&encoded)
	}
	if err != nil {
		return nil, fmt.Errorf("server key %s: %w", name, err)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(key) < serverKeySize {
		return nil, fmt.Errorf("server key %s: not %d bytes of base64", name, serverKeySize)
	}
	return key, nil
}
