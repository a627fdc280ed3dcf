package store

import (
	"context"
	"database/sql"
	"time"
)

// Tx is a write transaction of the store, as WTF Dial's sqlite.Tx: a
// change, the mail that tells of it, the job it calls for and its audit
// event are written through the same Tx, and committed together or not at
// all (the outbox). Its methods are the writes that go beside another
// one, each in its aggregate's file (AddMail in mail.go, EnqueueJob in
// jobs.go…); the SQL transaction itself stays inside the store, so that
// database/sql is imported by no other package.
type Tx struct {
	sql   *sql.Tx
	store *Store
}

// Update runs fn in a write transaction, committed when fn returns nil and
// rolled back otherwise: for a handler whose writes depend on what it reads
// in the same transaction, such as a registration, which mails either a
// confirmation link or « vous avez déjà un compte ».
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(s.wrap(tx)) })
}

// Now is the store's clock, as the store keeps times: for a job to run at
// once, or a link's end counted from now.
func (t *Tx) Now() time.Time { return t.store.Now() }

// wrap gives the store's own transaction to the callbacks it calls inside
// it (AfterWrite and its kin), and to Tx's methods it calls itself.
func (s *Store) wrap(tx *sql.Tx) *Tx { return &Tx{sql: tx, store: s} }
