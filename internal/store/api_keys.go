package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bdf29/sesame"
)

// #nosec G101 -- column names; the secret itself is never stored
const apiKeyColumns = `k.id, k.library_id, l.code, l.name, k.name, k.hint, k.created_at, k.last_used_at, k.revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }, k *sesame.APIKey) error {
	var used, revoked sql.NullTime
	if err := row.Scan(&k.ID, &k.LibraryID, &k.LibraryCode, &k.LibraryName, &k.Name, &k.Hint, &k.CreatedAt, &used, &revoked); err != nil {
		return err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.LastUsedAt, k.RevokedAt = used.Time.UTC(), revoked.Time.UTC()
	if !used.Valid {
		k.LastUsedAt = time.Time{}
	}
	if !revoked.Valid {
		k.RevokedAt = time.Time{}
	}
	return nil
}

// #nosec G101 -- a French message about a key's name, no credential
const apiKeyConflict = "Cette bibliothèque a déjà une clé active de ce nom : choisissez-en un autre."

// CreateAPIKey draws a key from random for a library and records its hash,
// audited. It returns the key as listed and its secret, which nothing can
// read again: the caller shows it once.
func (s *Store) CreateAPIKey(ctx context.Context, libraryID int64, name string, random io.Reader, actor sesame.Actor) (sesame.APIKey, string, error) {
	name = strings.TrimSpace(name)
	fields := sesame.FieldErrors{}
	fields.Add("nom", sesame.CheckAPIKeyName(name))
	if libraryID <= 0 {
		fields.Add("bibliotheque", "Choisissez la bibliothèque de la clé.")
	}
	if err := fields.Err(); err != nil {
		return sesame.APIKey{}, "", err
	}
	secret, err := sesame.NewAPIKeySecret(random)
	if err != nil {
		return sesame.APIKey{}, "", err
	}
	var key sesame.APIKey
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var code string
		if err := tx.QueryRowContext(ctx, `SELECT code FROM libraries WHERE id = $1`, libraryID).Scan(&code); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return &sesame.Error{Code: sesame.EInvalid, Message: "Choisissez la bibliothèque de la clé.",
					Fields: sesame.FieldErrors{"bibliotheque": "Cette bibliothèque n'existe pas."}}
			}
			return fmt.Errorf("api key's library: %w", err)
		}
		now := s.Now()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO api_keys (library_id, name, hash, hint, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			libraryID, name, sesame.HashAPIKey(secret), secret[:sesame.APIKeyHintLength], now).Scan(&id)
		if err != nil {
			if de := dbError(err, "Clé d'API", apiKeyConflict); sesame.ErrorCode(de) == sesame.EConflict {
				return &sesame.Error{Code: sesame.EInvalid, Message: apiKeyConflict, Fields: sesame.FieldErrors{"nom": apiKeyConflict}}
			}
			return fmt.Errorf("create api key: %w", err)
		}
		if err := audit(ctx, tx, now, actor, libraryID, 0, sesame.ActionAPIKey, fmt.Sprintf("clé d'API « %s » créée pour %s (%s…)", name, code, secret[:sesame.APIKeyHintLength])); err != nil {
			return err
		}
		return scanAPIKey(tx.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN libraries l ON l.id = k.library_id WHERE k.id = $1`, id), &key)
	})
	if err != nil {
		return sesame.APIKey{}, "", err
	}
	return key, secret, nil
}

// APIKeys lists every key of the network, active ones first, then by
// library and name. The list grows only with the keys the admin makes.
func (s *Store) APIKeys(ctx context.Context) ([]sesame.APIKey, error) {
	rows, err := s.readStmts.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN libraries l ON l.id = k.library_id
		ORDER BY CASE WHEN k.revoked_at IS NULL THEN 0 ELSE 1 END, l.code, k.name, k.id`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var keys []sesame.APIKey
	for rows.Next() {
		var k sesame.APIKey
		if err := scanAPIKey(rows, &k); err != nil {
			return nil, fmt.Errorf("scan api key: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// APIKey returns one key, revoked or not.
func (s *Store) APIKey(ctx context.Context, id int64) (sesame.APIKey, error) {
	var k sesame.APIKey
	err := scanAPIKey(s.readStmts.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN libraries l ON l.id = k.library_id WHERE k.id = $1`, id), &k)
	return k, dbError(err, "Clé d'API", "")
}

// RevokeAPIKey revokes a key, audited; revoking it again changes nothing.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64, actor sesame.Actor) (sesame.APIKey, error) {
	var k sesame.APIKey
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := scanAPIKey(tx.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN libraries l ON l.id = k.library_id WHERE k.id = $1`, id), &k); err != nil {
			return dbError(err, "Clé d'API", "")
		}
		if k.Revoked() {
			return nil
		}
		now := s.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2`, now, id); err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}
		k.RevokedAt = now
		return audit(ctx, tx, now, actor, k.LibraryID, 0, sesame.ActionAPIKey, fmt.Sprintf("clé d'API « %s » de %s révoquée", k.Name, k.LibraryCode))
	})
	return k, err
}

// APIKeyBySecret returns the active key whose secret this is, and records
// its use (at most once per sesame.APIKeyTouchEvery). An unknown, revoked
// or malformed key, or one of a disabled library, is not found, all alike.
//
// The key is found by the SHA-256 of what was sent, through the unique
// index: no secret is compared in Go, so no timing tells how much of a
// guess was right.
func (s *Store) APIKeyBySecret(ctx context.Context, secret string) (sesame.APIKey, error) {
	notFound := sesame.Errorf(sesame.ENotFound, "Clé d'API inconnue ou révoquée.")
	if !sesame.WellFormedAPIKey(secret) {
		return sesame.APIKey{}, notFound
	}
	var k sesame.APIKey
	err := scanAPIKey(s.readStmts.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN libraries l ON l.id = k.library_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL AND NOT l.disabled`, sesame.HashAPIKey(secret)), &k)
	if errors.Is(err, sql.ErrNoRows) {
		return sesame.APIKey{}, notFound
	}
	if err != nil {
		return sesame.APIKey{}, fmt.Errorf("find api key: %w", err)
	}
	now := s.Now()
	if k.LastUsedAt.IsZero() || now.Sub(k.LastUsedAt) >= sesame.APIKeyTouchEvery {
		// The condition is repeated in SQL so that instances serving at
		// once still write at most once a minute.
		if _, err := s.writePool.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`,
			now, k.ID, now.Add(-sesame.APIKeyTouchEvery)); err != nil {
			return sesame.APIKey{}, fmt.Errorf("record api key use: %w", err)
		}
		k.LastUsedAt = now
	}
	return k, nil
}
