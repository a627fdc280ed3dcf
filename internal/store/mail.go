package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Mail is a message of the outbox. It leaves it once: sent, or kept when no
// SMTP server is configured.
type Mail struct {
	ID        int64
	To        string
	ToName    string
	Subject   string
	Text      string
	HTML      string
	CreatedAt time.Time
	SentAt    time.Time // zero until sent
	Kept      bool      // done without sending: no SMTP server was configured
	Attempts  int       // sending attempts so far
	LastError string    // why the last attempt failed; "" once sent
	// Secret is the secret part of the message's link (a reset or
	// registration token), kept apart from the bodies, which hold a mark in
	// its place (see package mail). Only Mail, for the sender, reads it;
	// it is erased once the message leaves the outbox or its link expires.
	Secret      string
	SecretUntil time.Time // when the link stops working; zero without a secret
}

// Pending reports whether the message still waits to be sent.
func (m Mail) Pending() bool { return m.SentAt.IsZero() && !m.Kept }

const mailColumns = `id, to_addr, to_name, subject, text_body, html_body, created_at, sent_at, kept, attempts, last_error`

func scanMail(row interface{ Scan(...any) error }, m *Mail) error {
	var sent sql.NullTime
	if err := row.Scan(&m.ID, &m.To, &m.ToName, &m.Subject, &m.Text, &m.HTML, &m.CreatedAt, &sent, &m.Kept, &m.Attempts, &m.LastError); err != nil {
		return err
	}
	if sent.Valid {
		m.SentAt = sent.Time
	}
	return nil
}

// AddMail writes m into the outbox in tx and returns its id. The caller
// validates m and enqueues the job that sends it (see package mail).
func (t *Tx) AddMail(ctx context.Context, m Mail) (int64, error) {
	var id int64
	var secret, until any
	if m.Secret != "" {
		secret, until = m.Secret, dbTime(m.SecretUntil)
	}
	err := t.sql.QueryRowContext(ctx, `
		INSERT INTO mail_outbox (to_addr, to_name, subject, text_body, html_body, created_at, secret, secret_expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		m.To, m.ToName, m.Subject, m.Text, m.HTML, t.store.Now(), secret, until).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("add mail: %w", err)
	}
	return id, nil
}

// Mail returns one message of the outbox, with its secret: for the sender
// only. Other readers use RecentMail, which leaves the secret out.
func (s *Store) Mail(ctx context.Context, id int64) (Mail, error) {
	var m Mail
	var secret sql.NullString
	var until sql.NullTime
	row := s.readStmts.QueryRowContext(ctx, `SELECT `+mailColumns+`, secret, secret_expires_at FROM mail_outbox WHERE id = $1`, id)
	if err := scanMail(scanExtra{row, []any{&secret, &until}}, &m); err != nil {
		return Mail{}, dbError(err, "Message", "")
	}
	m.Secret, m.SecretUntil = secret.String, until.Time
	return m, nil
}

// scanExtra scans a row of mailColumns followed by more columns.
type scanExtra struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (r scanExtra) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra...)...) }

// RecentMail lists the latest limit messages of the outbox, newest first.
func (s *Store) RecentMail(ctx context.Context, limit int) ([]Mail, error) {
	return s.SearchMail(ctx, "", limit)
}

// SearchMail lists the latest limit messages of the outbox whose recipient
// (address or name) or subject contains query, ignoring case; all of them
// when query is empty. Newest first.
func (s *Store) SearchMail(ctx context.Context, query string, limit int) ([]Mail, error) {
	where, args := "", []any{limit}
	if query = strings.ToLower(strings.TrimSpace(query)); !storableText(query) {
		return nil, nil // no message holds what no column can
	} else if query != "" {
		// LOWER on both sides: PostgreSQL's LIKE heeds case, SQLite's
		// ignores it for ASCII only. The outbox is small and purged.
		args = append(args, likeContains(query))
		where = ` WHERE LOWER(to_addr) LIKE $2 ESCAPE '\' OR LOWER(to_name) LIKE $2 ESCAPE '\' OR LOWER(subject) LIKE $2 ESCAPE '\'`
	}
	rows, err := s.readStmts.QueryContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox`+where+` ORDER BY created_at DESC, id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("list mail: %w", err)
	}
	defer rows.Close()
	var list []Mail
	for rows.Next() {
		var m Mail
		if err := scanMail(rows, &m); err != nil {
			return nil, fmt.Errorf("scan mail: %w", err)
		}
		list = append(list, m)
	}
	return list, rows.Err()
}

// MailDone records in tx that message id left the outbox after attempts
// attempts: sent now, or kept when kept is set. Its secret is erased: sent,
// the recipient has it; kept, nobody ever will. A message already done, or
// gone, stays as it is.
func (t *Tx) MailDone(ctx context.Context, id int64, kept bool, attempts int) error {
	var sent any
	if !kept {
		sent = t.store.Now()
	}
	_, err := t.sql.ExecContext(ctx, `
		UPDATE mail_outbox SET sent_at = $1, kept = $2, attempts = $3, last_error = '', secret = NULL, secret_expires_at = NULL
		WHERE id = $4 AND sent_at IS NULL AND kept = FALSE`,
		sent, kept, attempts, id)
	if err != nil {
		return fmt.Errorf("record mail %d: %w", id, err)
	}
	return nil
}

// MailFailed records a failed sending attempt of message id, the attempts-th.
func (s *Store) MailFailed(ctx context.Context, id int64, attempts int, failure string) error {
	_, err := s.writePool.ExecContext(ctx, `UPDATE mail_outbox SET attempts = $1, last_error = $2 WHERE id = $3 AND sent_at IS NULL AND kept = FALSE`,
		attempts, failure, id)
	if err != nil {
		return fmt.Errorf("record mail failure %d: %w", id, err)
	}
	return nil
}

// eraseMailSecretsTx erases, in tx, the secrets of messages still waiting
// whose links expired: sent now, they would open nothing.
func eraseMailSecretsTx(ctx context.Context, tx *sql.Tx, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE mail_outbox SET secret = NULL, secret_expires_at = NULL WHERE secret_expires_at < $1`, now.UTC()); err != nil {
		return fmt.Errorf("erase expired mail secrets: %w", err)
	}
	return nil
}
