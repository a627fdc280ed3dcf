package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/secret"
	"github.com/bdf29/sesame/internal/store"
)

// openWith opens dsn, migrated, with its clock and its box of secrets.
func openWith(t testing.TB, dsn string, now func() time.Time, box *secret.Box) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{Now: now, Secrets: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func testStaffTOTP(t *testing.T, open Opener) {
	ctx := context.Background()
	dsn := freshDSN(t, open)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	box := TestSecrets(t)
	st := openWith(t, dsn, clock, box)
	actor := sesame.Actor{Label: "test"}
	id, err := st.CreateStaff(ctx, sesame.Staff{Login: "fouesnant", Name: "F", Role: sesame.RoleAdmin, PasswordHash: "h"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	if on, err := st.StaffHasTOTP(ctx, id); err != nil || on {
		t.Fatalf("new account: got second factor %v (%v), want off", on, err)
	}
	if _, err := st.StaffTOTPSecret(ctx, id); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("secret of an account without: got %v, want not found", err)
	}

	const secretText = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" // #nosec G101 -- a made-up TOTP key, for a test store only
	if err := st.EnableStaffTOTP(ctx, id, secretText, 1000, []string{"h1", "h2"}, actor); err != nil {
		t.Fatal(err)
	}
	status, err := st.StaffTOTPStatus(ctx, id)
	if err != nil || !status.Enabled || !status.EnabledAt.Equal(now) || status.RecoveryLeft != 2 {
		t.Errorf("status: got %+v (%v), want on since %s with 2 codes", status, err, now)
	}
	if got, err := st.StaffTOTPSecret(ctx, id); err != nil || got != secretText {
		t.Errorf("secret: got %q (%v), want it back", got, err)
	}
	// Sealed at rest.
	rows := ReadRows(t, dsn, `SELECT totp_secret FROM staff`)
	if len(rows) != 1 || !strings.HasPrefix(rows[0][0], "v1:") || strings.Contains(rows[0][0], secretText) {
		t.Errorf("stored secret: got %v, want it sealed", rows)
	}
	if err := st.EnableStaffTOTP(ctx, id, secretText, 1001, nil, actor); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("enable twice: got %v, want conflict", err)
	}

	// A time step serves once, and never one before the last.
	for _, tt := range []struct {
		step int64
		want bool
	}{{1000, false}, {999, false}, {1001, true}, {1001, false}, {1003, true}, {1002, false}} {
		if got, err := st.UseTOTPStep(ctx, id, tt.step); err != nil || got != tt.want {
			t.Errorf("step %d: got %v (%v), want %v", tt.step, got, err, tt.want)
		}
	}

	for _, tt := range []struct {
		hash string
		want bool
	}{{"h1", true}, {"h1", false}, {"h3", false}} {
		if got, err := st.UseRecoveryCode(ctx, id, tt.hash, actor); err != nil || got != tt.want {
			t.Errorf("recovery code %s: got %v (%v), want %v", tt.hash, got, err, tt.want)
		}
	}
	if err := st.ReplaceRecoveryCodes(ctx, id, []string{"h4", "h5"}, actor); err != nil {
		t.Fatal(err)
	}
	if used, _ := st.UseRecoveryCode(ctx, id, "h2", actor); used {
		t.Error("a replaced recovery code still works")
	}
	if status, _ := st.StaffTOTPStatus(ctx, id); status.RecoveryLeft != 2 {
		t.Errorf("after replacement: got %d codes, want 2", status.RecoveryLeft)
	}

	// Logins waiting for their code: kept 5 minutes, then purged.
	for _, p := range []store.PendingLogin{
		{TokenHash: "old", StaffID: id, Next: "/abonnes", ExpiresAt: now.Add(5 * time.Minute)},
		{TokenHash: "new", StaffID: id, ExpiresAt: now.Add(10 * time.Minute)},
	} {
		if err := st.CreatePendingLogin(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	p, err := st.PendingLoginByHash(ctx, "old")
	if err != nil || p.StaffID != id || p.Next != "/abonnes" || !p.ExpiresAt.Equal(now.Add(5*time.Minute)) {
		t.Errorf("pending login: got %+v (%v)", p, err)
	}
	now = now.Add(5*time.Minute + time.Second)
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PurgeExpired(ctx, now.Add(-time.Hour), now) }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PendingLoginByHash(ctx, "old"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("expired pending login after the purge: got %v, want not found", err)
	}
	if _, err := st.PendingLoginByHash(ctx, "new"); err != nil {
		t.Errorf("pending login within its time after the purge: %v", err)
	}

	// Another key does not open the secret: a French error, not an internal one.
	other := openWith(t, dsn, clock, TestSecrets(t))
	if _, err := other.StaffTOTPSecret(ctx, id); sesame.ErrorCode(err) != sesame.EInvalid || !strings.Contains(sesame.ErrorMessage(err), "SESAME_SECRET_KEY") {
		t.Errorf("secret under another key: got %v, want a French invalid error", err)
	}
	noKey := openWith(t, dsn, clock, nil)
	if err := noKey.EnableStaffTOTP(ctx, id, secretText, 1, nil, actor); sesame.ErrorCode(err) != sesame.EInvalid {
		t.Errorf("enable without a key: got %v, want invalid", err)
	}

	if err := st.DisableStaffTOTP(ctx, id, sesame.Actor{Label: "admin (Administration)"}); err != nil {
		t.Fatal(err)
	}
	status, err = st.StaffTOTPStatus(ctx, id)
	if err != nil || status.Enabled || !status.EnabledAt.IsZero() || status.RecoveryLeft != 0 {
		t.Errorf("after disable: got %+v (%v), want off, no codes", status, err)
	}
	if _, err := st.PendingLoginByHash(ctx, "new"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("pending login after disable: got %v, want gone", err)
	}
	if got, _ := st.UseTOTPStep(ctx, id, 2000); got {
		t.Error("a step accepted with the second factor off")
	}
	audit := ReadRows(t, dsn, `SELECT actor, detail FROM audit_events WHERE action = 'personnel' ORDER BY id`)
	var details []string
	for _, r := range audit {
		details = append(details, r[0]+": "+r[1])
	}
	for _, want := range []string{"test: Double authentification activée", "test: Code de secours utilisé", "test: Nouveaux codes de secours",
		"admin (Administration): Double authentification désactivée : fouesnant."} {
		found := false
		for _, d := range details {
			found = found || strings.HasPrefix(d, want)
		}
		if !found {
			t.Errorf("audit: no event « %s » in %q", want, details)
		}
	}
	// Enabled again from scratch: old steps count no more.
	if err := st.EnableStaffTOTP(ctx, id, secretText, 10, nil, actor); err != nil {
		t.Fatalf("enable again: %v", err)
	}
	if got, _ := st.UseTOTPStep(ctx, id, 11); !got {
		t.Error("enabled again: a new step refused")
	}
}
