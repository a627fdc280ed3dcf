package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/bdf29/sesame"
)

// StaffTOTP is what a staff member's page shows of their second factor.
type StaffTOTP struct {
	Enabled      bool
	EnabledAt    time.Time
	RecoveryLeft int // recovery codes not yet used
}

// totpContext binds a sealed TOTP secret to its account, so that a secret
// copied into another row does not open there.
func totpContext(staffID int64) string { return "totp:" + strconv.FormatInt(staffID, 10) }

// StaffTOTPStatus says whether the account has a second factor, since when,
// and how many recovery codes it has left.
func (s *Store) StaffTOTPStatus(ctx context.Context, staffID int64) (StaffTOTP, error) {
	var t StaffTOTP
	var enabledAt sql.NullTime
	err := s.readStmts.QueryRowContext(ctx, `
		SELECT totp_secret <> '', totp_enabled_at,
			(SELECT COUNT(*) FROM staff_recovery_codes WHERE staff_id = staff.id)
		FROM staff WHERE id = $1`, staffID).Scan(&t.Enabled, &enabledAt, &t.RecoveryLeft)
	if err != nil {
		return t, dbError(err, "Compte", "")
	}
	if enabledAt.Valid {
		t.EnabledAt = enabledAt.Time
	}
	return t, nil
}

// StaffTOTPSecret opens the account's TOTP secret. It is not found when the
// second factor is off, and an error when the secret cannot be opened: no
// SESAME_SECRET_KEY, or another one than the key that sealed it.
func (s *Store) StaffTOTPSecret(ctx context.Context, staffID int64) (string, error) {
	var sealed string
	if err := s.readStmts.QueryRowContext(ctx, `SELECT totp_secret FROM staff WHERE id = $1`, staffID).Scan(&sealed); err != nil {
		return "", dbError(err, "Compte", "")
	}
	if sealed == "" {
		return "", sesame.Errorf(sesame.ENotFound, "La double authentification n'est pas activée sur ce compte.")
	}
	secret, err := s.secrets.Open(sealed, totpContext(staffID))
	if err != nil {
		// Not an internal error: the server's key is missing or changed,
		// and only turning the second factor off and on again mends it.
		return "", sesame.Errorf(sesame.EInvalid, "La double authentification de ce compte ne peut pas être vérifiée : "+
			"la clé de chiffrement SESAME_SECRET_KEY du serveur manque ou a changé depuis son activation. "+
			"Demandez à l'administration du réseau de la désactiver pour ce compte, puis activez-la de nouveau.")
	}
	return secret, nil
}

// EnableStaffTOTP turns the second factor on with secret, sealed, once its
// owner typed a right code of step: that code is then used up. The recovery
// codes, given by their hashes, replace any former ones.
func (s *Store) EnableStaffTOTP(ctx context.Context, staffID int64, secret string, step int64, recoveryHashes []string, actor sesame.Actor) error {
	if s.secrets == nil {
		return sesame.Errorf(sesame.EInvalid, "La clé de chiffrement SESAME_SECRET_KEY n'est pas réglée : la double authentification ne peut pas être activée.")
	}
	sealed, err := s.secrets.Seal(secret, totpContext(staffID))
	if err != nil {
		return fmt.Errorf("seal totp secret: %w", err)
	}
	now := s.Now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE staff SET totp_secret = $1, totp_last_step = $2, totp_enabled_at = $3
			WHERE id = $4 AND totp_secret = ''`, sealed, step, now, staffID)
		if err != nil {
			return fmt.Errorf("enable totp: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sesame.Errorf(sesame.EConflict, "La double authentification est déjà activée sur ce compte.")
		}
		if err := insertRecoveryCodes(ctx, tx, staffID, recoveryHashes, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, 0, 0, sesame.ActionStaff, fmt.Sprintf("Double authentification activée (compte n° %d).", staffID))
	})
}

func insertRecoveryCodes(ctx context.Context, tx *sql.Tx, staffID int64, hashes []string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = $1`, staffID); err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_recovery_codes (staff_id, code_hash, created_at) VALUES ($1, $2, $3)`, staffID, h, now); err != nil {
			return fmt.Errorf("save recovery code: %w", err)
		}
	}
	return nil
}

// ReplaceRecoveryCodes gives an account with a second factor a new set of
// recovery codes; the former ones no longer work.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, staffID int64, hashes []string, actor sesame.Actor) error {
	now := s.Now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var on bool
		if err := tx.QueryRowContext(ctx, `SELECT totp_secret <> '' FROM staff WHERE id = $1`, staffID).Scan(&on); err != nil {
			return dbError(err, "Compte", "")
		}
		if !on {
			return sesame.Errorf(sesame.EConflict, "La double authentification n'est pas activée sur ce compte.")
		}
		if err := insertRecoveryCodes(ctx, tx, staffID, hashes, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, 0, 0, sesame.ActionStaff, fmt.Sprintf("Nouveaux codes de secours (compte n° %d).", staffID))
	})
}

// DisableStaffTOTP turns the second factor off, by its owner or by the
// network admin for someone who lost their phone. Its recovery codes and
// any login waiting for a code go with it.
func (s *Store) DisableStaffTOTP(ctx context.Context, staffID int64, actor sesame.Actor) error {
	now := s.Now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var login string
		err := tx.QueryRowContext(ctx, `
			UPDATE staff SET totp_secret = '', totp_last_step = 0, totp_enabled_at = NULL
			WHERE id = $1 RETURNING login`, staffID).Scan(&login)
		if err != nil {
			return dbError(err, "Compte", "")
		}
		for _, q := range []string{`DELETE FROM staff_recovery_codes WHERE staff_id = $1`, `DELETE FROM staff_pending_logins WHERE staff_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, staffID); err != nil {
				return fmt.Errorf("disable totp: %w", err)
			}
		}
		return audit(ctx, tx, now, actor, 0, 0, sesame.ActionStaff, "Double authentification désactivée : "+login+".")
	})
}

// UseTOTPStep records that the code of step was accepted, and reports false
// when a code of that step or a later one was accepted already: each code
// serves once, even within its window. The check and the write are one
// statement, so that two requests racing with the same code cannot both win.
func (s *Store) UseTOTPStep(ctx context.Context, staffID, step int64) (bool, error) {
	res, err := s.writePool.ExecContext(ctx, `
		UPDATE staff SET totp_last_step = $1 WHERE id = $2 AND totp_secret <> '' AND totp_last_step < $1`, step, staffID)
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	return n == 1, nil
}

// UseRecoveryCode spends the recovery code of that hash, and reports false
// when the account has no such code, or it was used already.
func (s *Store) UseRecoveryCode(ctx context.Context, staffID int64, codeHash string, actor sesame.Actor) (bool, error) {
	used := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = $1 AND code_hash = $2`, staffID, codeHash)
		if err != nil {
			return fmt.Errorf("use recovery code: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		used = true
		return audit(ctx, tx, s.Now(), actor, 0, 0, sesame.ActionStaff, fmt.Sprintf("Code de secours utilisé (compte n° %d).", staffID))
	})
	return used, err
}

// PendingLogin is a staff login whose password was right, waiting for its code.
type PendingLogin struct {
	TokenHash string
	StaffID   int64
	Next      string // where to go once logged in
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreatePendingLogin stores a login waiting for its code.
func (s *Store) CreatePendingLogin(ctx context.Context, p PendingLogin) error {
	return s.exec(ctx, "create pending login", `
		INSERT INTO staff_pending_logins (token_hash, staff_id, next, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		p.TokenHash, p.StaffID, p.Next, s.Now(), dbTime(p.ExpiresAt))
}

// PendingLoginByHash returns the login waiting under that token hash, past
// its time or not: the caller's clock decides.
func (s *Store) PendingLoginByHash(ctx context.Context, tokenHash string) (*PendingLogin, error) {
	var p PendingLogin
	err := s.readStmts.QueryRowContext(ctx, `
		SELECT token_hash, staff_id, next, created_at, expires_at FROM staff_pending_logins WHERE token_hash = $1`, tokenHash).
		Scan(&p.TokenHash, &p.StaffID, &p.Next, &p.CreatedAt, &p.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sesame.Errorf(sesame.ENotFound, "Connexion en attente introuvable.")
	}
	if err != nil {
		return nil, fmt.Errorf("read pending login: %w", err)
	}
	return &p, nil
}

// DeletePendingLogin ends a login waiting for its code: done, or abandoned.
func (s *Store) DeletePendingLogin(ctx context.Context, tokenHash string) error {
	return s.exec(ctx, "delete pending login", `DELETE FROM staff_pending_logins WHERE token_hash = $1`, tokenHash)
}

// StaffHasTOTP says whether the account has a second factor: a login then
// waits for its code.
func (s *Store) StaffHasTOTP(ctx context.Context, staffID int64) (bool, error) {
	var on bool
	if err := s.readStmts.QueryRowContext(ctx, `SELECT totp_secret <> '' FROM staff WHERE id = $1`, staffID).Scan(&on); err != nil {
		return false, dbError(err, "Compte", "")
	}
	return on, nil
}

// SealTOTPDraft seals a secret offered for enrolment, to travel in the form
// until its owner types a right code: the browser cannot read it, nor put
// a secret of its choosing in its place, nor another account's.
func (s *Store) SealTOTPDraft(staffID int64, secret string) (string, error) {
	sealed, err := s.secrets.Seal(secret, "totp-draft:"+strconv.FormatInt(staffID, 10))
	if err != nil {
		return "", fmt.Errorf("seal totp draft: %w", err)
	}
	return sealed, nil
}

// OpenTOTPDraft opens what SealTOTPDraft sealed for the same account.
func (s *Store) OpenTOTPDraft(staffID int64, sealed string) (string, error) {
	secret, err := s.secrets.Open(sealed, "totp-draft:"+strconv.FormatInt(staffID, 10))
	if err != nil {
		return "", fmt.Errorf("open totp draft: %w", err)
	}
	return secret, nil
}
