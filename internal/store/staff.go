package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bdf29/sesame"
)

const staffColumns = `id, login, name, role, COALESCE(library_id, 0), password_hash, disabled, created_at`

func scanStaff(row interface{ Scan(...any) error }, st *sesame.Staff) error {
	var role string
	if err := row.Scan(&st.ID, &st.Login, &st.Name, &role, &st.LibraryID, &st.PasswordHash, &st.Disabled, &st.CreatedAt); err != nil {
		return err
	}
	st.Role = sesame.Role(role)
	return nil
}

func nullableID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

const staffConflict = "Cet identifiant est déjà pris."

// CreateStaff inserts a staff account and returns its id.
func (s *Store) CreateStaff(ctx context.Context, st sesame.Staff, actor sesame.Actor) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
			INSERT INTO staff (login, name, role, library_id, password_hash, disabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			sesame.NormalizeLogin(st.Login), st.Name, string(st.Role), nullableID(st.LibraryID), st.PasswordHash, st.Disabled, s.Now()).Scan(&id)
		if err != nil {
			return dbError(err, "Compte", staffConflict)
		}
		return audit(ctx, tx, s.Now(), actor, st.LibraryID, 0, sesame.ActionStaff, "Compte créé : "+st.Login+".")
	})
	return id, err
}

// StaffByLogin returns the staff account with that login.
func (s *Store) StaffByLogin(ctx context.Context, login string) (*sesame.Staff, error) {
	var st sesame.Staff
	err := scanStaff(s.readStmts.QueryRowContext(ctx, `SELECT `+staffColumns+` FROM staff WHERE login = $1`, sesame.NormalizeLogin(login)), &st)
	if err != nil {
		return nil, dbError(err, "Compte", "")
	}
	return &st, nil
}

// StaffMember returns one staff account.
func (s *Store) StaffMember(ctx context.Context, id int64) (*sesame.Staff, error) {
	var st sesame.Staff
	if err := scanStaff(s.readStmts.QueryRowContext(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = $1`, id), &st); err != nil {
		return nil, dbError(err, "Compte", "")
	}
	return &st, nil
}

// StaffList lists every staff account by name, in French order.
func (s *Store) StaffList(ctx context.Context) ([]sesame.Staff, error) {
	rows, err := s.readStmts.QueryContext(ctx, `SELECT `+staffColumns+` FROM staff ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	var list []sesame.Staff
	for rows.Next() {
		var st sesame.Staff
		if err := scanStaff(rows, &st); err != nil {
			return nil, fmt.Errorf("scan staff: %w", err)
		}
		list = append(list, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	SortFrench(list, func(st sesame.Staff) string { return st.Name })
	return list, nil
}

// UpdateStaff saves a staff account's name, role, library and disabled flag.
// Disabling an account ends its sessions.
func (s *Store) UpdateStaff(ctx context.Context, st sesame.Staff, actor sesame.Actor) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET login = $1, name = $2, role = $3, library_id = $4, disabled = $5 WHERE id = $6`,
			sesame.NormalizeLogin(st.Login), st.Name, string(st.Role), nullableID(st.LibraryID), st.Disabled, st.ID)
		if err != nil {
			return dbError(err, "Compte", staffConflict)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sesame.Errorf(sesame.ENotFound, "Compte introuvable.")
		}
		if st.Disabled {
			if err := endStaffSessions(ctx, tx, st.ID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, s.Now(), actor, st.LibraryID, 0, sesame.ActionStaff, "Compte modifié : "+st.Login+".")
	})
}

// SetStaffPassword replaces a staff password hash by another of the same
// password, as a login does when the hasher's settings changed.
func (s *Store) SetStaffPassword(ctx context.Context, id int64, hash string) error {
	return setStaffPassword(ctx, s.writePool, id, hash)
}

// ResetStaffPassword gives a staff account a new password, as the network
// admin does, in one transaction: the hash is replaced, every session of the
// account ends, with the logins waiting for its second factor, and the reset
// is audited.
func (s *Store) ResetStaffPassword(ctx context.Context, id int64, hash string, actor sesame.Actor) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := setStaffPassword(ctx, tx, id, hash); err != nil {
			return err
		}
		if err := endStaffSessions(ctx, tx, id); err != nil {
			return err
		}
		return audit(ctx, tx, s.Now(), actor, 0, 0, sesame.ActionStaff, fmt.Sprintf("Mot de passe réinitialisé (compte n° %d).", id))
	})
}

func setStaffPassword(ctx context.Context, q queryer, id int64, hash string) error {
	res, err := q.ExecContext(ctx, `UPDATE staff SET password_hash = $1 WHERE id = $2`, hash, id)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sesame.Errorf(sesame.ENotFound, "Compte introuvable.")
	}
	return nil
}

// endStaffSessions ends a staff member's sessions, and the logins waiting
// for their second factor: a disabled account or a reset password must not
// be finished by a code typed afterwards.
func endStaffSessions(ctx context.Context, tx *sql.Tx, staffID int64) error {
	for _, q := range []string{`DELETE FROM sessions WHERE staff_id = $1`, `DELETE FROM staff_pending_logins WHERE staff_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, staffID); err != nil {
			return fmt.Errorf("end staff sessions: %w", err)
		}
	}
	return nil
}
