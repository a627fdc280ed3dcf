package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

func noEnv(string) string { return "" }

func TestAdminCreate(t *testing.T) {
	tests := []struct {
		name      string
		login     string
		stdin     string
		wantErr   string
		generated bool
	}{
		{"password from standard input", "chef", "une phrase de passe assez longue\n", "", false},
		{"generated when nothing is piped", "chef", "", "", true},
		{"short password refused", "chef", "court\n", "12 caractères", false},
		{"common password refused", "chef", "azertyuiop123\n", "courants", false},
		{"bad login refused", "Chef Réseau", "une phrase de passe assez longue\n", "Identifiant", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "s.db")
			var out bytes.Buffer
			err := run(context.Background(), []string{"admin", "create", "--db", db, "--login", tt.login}, strings.NewReader(tt.stdin), &out, &out, noEnv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("admin create: %v", err)
			}
			password := strings.TrimSpace(tt.stdin)
			if tt.generated {
				_, after, ok := strings.Cut(out.String(), "Password: ")
				if !ok {
					t.Fatalf("no generated password printed: %q", out.String())
				}
				password = strings.TrimSpace(after)
			} else if strings.Contains(out.String(), "Password:") {
				t.Errorf("a password given on standard input was printed back")
			}
			st, err := store.Open(context.Background(), db, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			staff, err := st.StaffByLogin(context.Background(), tt.login)
			if err != nil {
				t.Fatalf("admin not stored: %v", err)
			}
			if staff.Role != sesame.RoleAdmin {
				t.Errorf("role: got %s, want admin", staff.Role)
			}
			if ok, _ := app.Hasher().Verify(password, staff.PasswordHash); !ok {
				t.Errorf("the stored hash does not match the password")
			}
			if !strings.HasPrefix(staff.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Errorf("hash %q is not argon2id at the required cost", staff.PasswordHash)
			}
		})
	}
}

func TestMigrateAndUnknownCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "--db", db}, nil, &out, &out, noEnv); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := run(context.Background(), []string{"migrate"}, nil, &out, &out, func(k string) string {
		if k == "SESAME_DB" {
			return db
		}
		return ""
	}); err != nil {
		t.Fatalf("migrate with SESAME_DB: %v", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, nil, &out, &out, noEnv); err == nil {
		t.Errorf("unknown command: got no error")
	}
	if err := run(context.Background(), nil, nil, &out, &out, noEnv); err == nil {
		t.Errorf("no command: got no error")
	}
}

func TestServeRefusesBadBaseURL(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, nil, &out, &out, func(k string) string {
		if k == "SESAME_BASE_URL" {
			return "ftp://example.org"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "SESAME_BASE_URL") {
		t.Errorf("got %v, want an error about SESAME_BASE_URL", err)
	}
}

func TestDemoSeedsOnceThenServes(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 3,000 patrons; skipped in short mode")
	}
	db := filepath.Join(t.TempDir(), "demo.db")
	for i, want := range []string{"Demo network seeded", "not seeded again"} {
		ctx, cancel := context.WithCancel(context.Background())
		var out syncBuffer
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"demo", "--db", db, "--addr", "127.0.0.1:0", "--patrons", "200"}, nil, &out, &out, noEnv)
		}()
		waitFor(t, &out, "Demo logins")
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: demo: %v", i, err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("run %d: output lacks %q:\n%s", i, want, out.String())
		}
		for _, login := range []string{"admin", "fouesnant", "quimper", "eric.mediateur@example.org", "sesame-demo-29"} {
			if !strings.Contains(out.String(), login) {
				t.Errorf("run %d: demo logins lack %s", i, login)
			}
		}
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListPatrons(context.Background(), store.NetworkScope(), store.PatronFilter{Query: "mediateur"})
	if err != nil || page.Total != 1 {
		t.Fatalf("the tutorial's patron: got %d (%v), want 1", page.Total, err)
	}
	eric := page.Rows[0]
	if eric.CardNumber != "COMPTE-TEST" || eric.RegisteredOn.String() != "17/12/2021" || eric.Status != sesame.StatusValidated || len(eric.Resources) != 2 {
		t.Errorf("MEDIATEUR-NUM Eric: got card %q, registered %s, status %s, resources %v", eric.CardNumber, eric.RegisteredOn, eric.Status, eric.Resources)
	}
	libs, _ := st.Libraries(context.Background())
	if len(libs) < 35 {
		t.Errorf("libraries: got %d, want about 40", len(libs))
	}
}

func TestPostgresServeWaitsForMigrate(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--db", dsn, "--addr", "127.0.0.1:0"}, nil, &out, &out, noEnv)
	if err == nil || !strings.Contains(err.Error(), "sesame migrate") {
		t.Fatalf("serve on an empty PostgreSQL: got %v, want an error telling to run sesame migrate", err)
	}
	if err := run(context.Background(), []string{"migrate", "--db", dsn}, nil, &out, &out, noEnv); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !strings.Contains(out.String(), "postgres") {
		t.Errorf("migrate output %q does not name the engine", out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	var served syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", dsn, "--addr", "127.0.0.1:0"}, nil, &served, &served, noEnv)
	}()
	waitFor(t, &served, "Sésame serves")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after migrate: %v", err)
	}
}

func TestAdminDisable2FA(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "s.db")
	var out bytes.Buffer
	if err := run(ctx, []string{"admin", "create", "--db", db, "--login", "chef"}, strings.NewReader("une phrase de passe assez longue\n"), &out, &out, noEnv); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, db, store.Options{Secrets: storetest.TestSecrets(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	chef, err := st.StaffByLogin(ctx, "chef")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnableStaffTOTP(ctx, chef.ID, "JBSWY3DPEHPK3PXP", 1, []string{"hash"}, sesame.Actor{Label: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"admin", "disable-2fa", "--db", db, "--login", "inconnu"}, nil, &out, &out, noEnv); err == nil {
		t.Error("unknown login: want an error")
	}
	if err := run(ctx, []string{"admin", "disable-2fa", "--db", db, "--login", "chef"}, nil, &out, &out, noEnv); err != nil {
		t.Fatal(err)
	}
	if on, err := st.StaffHasTOTP(ctx, chef.ID); err != nil || on {
		t.Errorf("two-factor still on (%v)", err)
	}
}
