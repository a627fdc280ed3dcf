package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// tickingClock moves on by a little more than a millisecond at each reading,
// with nanoseconds, so that every timestamp differs and is truncated.
func tickingClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 3, 2, 9, 15, 0, 123456789, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(1234567891 * time.Nanosecond / 1000)
		return t
	}
}

// sourceNetwork is a small network with every table filled in, on SQLite.
type sourceNetwork struct {
	st        *store.Store
	path      string
	libs      []int64
	res       []int64
	patrons   []int64
	deletedID int64
	lefevre   int64
}

func newSourceNetwork(t testing.TB) *sourceNetwork {
	t.Helper()
	ctx := context.Background()
	n := &sourceNetwork{path: filepath.Join(t.TempDir(), "pilot.db")}
	st, err := store.Open(ctx, n.path, store.Options{Now: tickingClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n.st = st
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SaveNetwork(ctx, sesame.Network{Name: "Réseau des médiathèques", ContactEmail: "reseau@example.org", ValidityMonths: 18, StaffMFARequired: true,
		Reminders: sesame.ReminderSchedule{DaysBefore: []int{21, 2}, DayAfter: true}}, sys))
	for i, code := range []string{"FOUESNANT", "QUIMPER", "ERGUE"} {
		id, err := st.CreateLibrary(ctx, sesame.Library{Code: code, Name: "Médiathèque " + code, Town: code, ContactEmail: fmt.Sprintf("lib%d@example.org", i)}, sys)
		must(err)
		n.libs = append(n.libs, id)
	}
	noDayAfter := false
	must(st.UpdateLibrary(ctx, sesame.Library{ID: n.libs[2], Code: "ERGUE", Name: "Fermée", Town: "Ergué", ContactEmail: "e@example.org", Disabled: true,
		ReminderDays: []int{10}, ReminderDayAfter: &noDayAfter}, sys))
	for _, slug := range []string{"pressreader", "tout-apprendre", "brief-me"} {
		id, err := st.CreateResource(ctx, sesame.Resource{Slug: slug, Name: strings.ToUpper(slug), Description: "d", URL: "https://example.org/" + slug}, sys)
		must(err)
		n.res = append(n.res, id)
	}
	must(st.UpdateResource(ctx, sesame.Resource{ID: n.res[2], Slug: "brief-me", Name: "Brief.me", Description: "plus servie", URL: "https://example.org/", Disabled: true}, sys))
	admin, err := st.CreateStaff(ctx, sesame.Staff{Login: "admin", Name: "Admin", Role: sesame.RoleAdmin, PasswordHash: "$argon2id$admin"}, sys) // #nosec G101 -- a made-up hash, for a test store only
	must(err)
	_, err = st.CreateStaff(ctx, sesame.Staff{Login: "fouesnant", Name: "Accueil", Role: sesame.RoleLibrary, LibraryID: n.libs[0], PasswordHash: "$argon2id$lib"}, sys) // #nosec G101 -- a made-up hash, for a test store only
	must(err)
	gone, err := st.CreateStaff(ctx, sesame.Staff{Login: "parti", Name: "Parti", Role: sesame.RoleLibrary, LibraryID: n.libs[1], PasswordHash: "$argon2id$gone"}, sys) // #nosec G101 -- a made-up hash, for a test store only
	must(err)
	must(st.UpdateStaff(ctx, sesame.Staff{ID: gone, Login: "parti", Name: "Parti", Role: sesame.RoleLibrary, LibraryID: n.libs[1], Disabled: true}, sys))

	statuses := []sesame.Status{sesame.StatusToValidate, sesame.StatusValidated, sesame.StatusRefused, sesame.StatusExpired, sesame.StatusToRevalidate}
	patron := func(i int) store.NewPatron {
		status := statuses[i%len(statuses)]
		p := sesame.Patron{LibraryID: n.libs[i%2], LastName: fmt.Sprintf("Nom%02d", i), FirstName: "Prénom", Email: fmt.Sprintf("p%02d@example.org", i),
			BirthDate: sesame.MustDate(1970+i%30, 1+time.Month(i%12), 1+i%28), PostalCode: "29170", Town: "Fouesnant",
			CardNumber: fmt.Sprintf("C%05d", i), RegisteredOn: sesame.MustDate(2025, 6, 1), Status: status}
		if status == sesame.StatusValidated || status == sesame.StatusExpired {
			p.LibraryRegisteredOn, p.ValidUntil = sesame.MustDate(2025, 6, 1), sesame.MustDate(2026, 12, 1)
		}
		if status == sesame.StatusRefused {
			p.RefusalReason = "Pas de justificatif"
		}
		return store.NewPatron{Patron: p, PasswordHash: fmt.Sprintf("$argon2id$p%d", i), ResourceIDs: n.res[:1+i%2]}
	}
	for i := range 5 {
		id, err := st.CreatePatron(ctx, patron(i), sys)
		must(err)
		n.patrons = append(n.patrons, id)
	}
	var batch []store.NewPatron
	for i := 5; i < 50; i++ {
		batch = append(batch, patron(i))
	}
	must(st.BulkCreatePatrons(ctx, batch, sys))
	lefevre := patron(50)
	lefevre.Patron.LastName, lefevre.Patron.FirstName, lefevre.Patron.Email = "Lefèvre", "Maëlle", "maelle@example.org"
	n.lefevre, err = st.CreatePatron(ctx, lefevre, sys)
	must(err)

	page, err := st.ListPatrons(ctx, store.NetworkScope(), store.PatronFilter{Limit: 100})
	must(err)
	n.patrons = n.patrons[:0]
	for _, r := range page.Rows {
		n.patrons = append(n.patrons, r.ID)
	}
	// A few changes, so that versions, grants and counts have moved.
	for _, id := range n.patrons[:10] {
		_, err := st.SetGrants(ctx, store.NetworkScope(), id, n.res[:2], sesame.GrantValidated, sesame.Actor{Label: "usager", PatronID: id})
		must(err)
	}
	_, err = st.UpdatePatron(ctx, store.NetworkScope(), n.patrons[3], 0, sys, func(p *sesame.Patron) (store.Change, error) {
		p.Status, p.LibraryID = sesame.StatusRefused, n.libs[2]
		return store.Change{Action: "modification", Detail: "test"}, nil
	})
	must(err)
	n.deletedID = n.patrons[5]
	must(st.DeletePatron(ctx, store.NetworkScope(), n.deletedID, sys))
	n.patrons = append(n.patrons[:5], n.patrons[6:]...)

	// A CAS pseudonym, copied, with its ticket and a login ticket, left behind.
	casConnector, err := st.CreateConnector(ctx, sesame.Connector{ResourceID: n.res[0], Kind: sesame.ConnectorCAS,
		CAS: sesame.CASSettings{ServicePrefix: "https://pressreader.example/"}}, sys)
	must(err)
	_, err = st.IssueCASTicket(ctx, store.CASTicket{Hash: "cas-ticket-hash", Service: "https://pressreader.example/login",
		PatronID: n.patrons[0], ConnectorID: casConnector, AuthAt: time.Now(), ExpiresAt: time.Now().Add(10 * time.Second),
		Attributes: store.CASAttributes{FirstName: "Prénom", LastName: "Nom00", LibraryCode: "FOUESNANT"}}, n.res[0], "pseudonyme-cas")
	must(err)
	must(st.SaveCASLogin(ctx, "cas-login-hash", store.CASLogin{CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}))
	// A SAML request waiting for its patron, left behind.
	samlConnector, err := st.CreateConnector(ctx, sesame.Connector{ResourceID: n.res[0], Kind: sesame.ConnectorSAML,
		SAML: sesame.SAMLSettings{EntityID: "https://vendeur.example/saml", Metadata: "<EntityDescriptor/>"}}, sys)
	must(err)
	must(st.SaveSAMLRequest(ctx, "saml-handle-hash", store.SAMLRequest{ConnectorID: samlConnector, RequestID: "id-1",
		IssuedAt: time.Now(), ACSURL: "https://vendeur.example/acs", ReceivedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}))

	// Short-lived rows, left behind, and a job, copied.
	must(st.CreateSession(ctx, "token-hash", admin))
	_, err = st.RecordFailure(ctx, "login:admin", func(int) time.Time { return time.Now().Add(time.Hour) })
	must(err)
	must(st.Enqueue(ctx, "mail", `{"to":"p01@example.org"}`, time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)))
	// Two messages of the outbox, one sent, one kept, written as the
	// database holds them.
	db, err := sql.Open("sqlite", "file:"+n.path+"?_time_format=sqlite")
	must(err)
	defer db.Close()
	_, err = db.Exec(`INSERT INTO mail_outbox (to_addr, to_name, subject, text_body, html_body, created_at, sent_at, kept, attempts, last_error)
		VALUES ($1, 'Anne', 'Bienvenue', 'Bonjour', '<p>Bonjour</p>', $2, $3, FALSE, 1, ''), ($1, '', 'Relance', 'Texte', '', $2, NULL, TRUE, 0, 'pas de SMTP')`,
		"p01@example.org", time.Date(2026, 3, 2, 10, 0, 0, 123456000, time.UTC), time.Date(2026, 3, 2, 10, 0, 1, 0, time.UTC))
	must(err)
	// The SAML identity, copied as it is kept: its values sealed (this
	// store has no key to make one itself).
	_, err = db.Exec(`INSERT INTO saml_identity (id, certificate, private_key, pairwise_salt, created_at) VALUES (1, 'PEM', 'v1:clé', 'v1:sel', $1)`,
		time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	must(err)
	// The admin's second factor, sealed as kept, and their recovery codes,
	// copied; a login waiting for its code, left behind.
	_, err = db.Exec(`UPDATE staff SET totp_secret = 'v1:clé', totp_last_step = 59012345, totp_enabled_at = $1 WHERE id = $2`,
		time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), admin)
	must(err)
	_, err = db.Exec(`INSERT INTO staff_recovery_codes (staff_id, code_hash, created_at) VALUES ($1, 'code-1', $2), ($1, 'code-2', $2)`,
		admin, time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC))
	must(err)
	must(st.CreatePendingLogin(ctx, store.PendingLogin{TokenHash: "pending-hash", StaffID: admin, ExpiresAt: time.Now().Add(5 * time.Minute)}))
	// The OpenID Connect keys, sealed as kept: a signing key that expires
	// and a secret that never does.
	_, err = db.Exec(`INSERT INTO oidc_keys (id, slot, algorithm, public_jwk, private_key, created_at, expires_at)
		VALUES ('kid-1', 'RS256:1', 'RS256', '{"kty":"RSA"}', 'v1:clé', $1, $2), ('pairwise-1', 'pairwise', 'secret', '', 'v1:sel', $1, NULL)`,
		time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	must(err)
	// Usage statistics: January and February counted, January's launches
	// deleted, March's kept.
	_, err = db.Exec(`INSERT INTO audit_events (at, actor, library_id, patron_id, action, detail) VALUES ($1, 'fouesnant', $2, $3, 'validation', 'Statut')`,
		time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC), n.libs[0], n.patrons[0])
	must(err)
	for _, l := range []store.Launch{
		{At: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), PatronID: n.patrons[0], LibraryID: n.libs[0], ResourceID: n.res[0]},
		{At: time.Date(2026, 2, 5, 10, 0, 0, 0, time.UTC), PatronID: n.patrons[0], LibraryID: n.libs[0], ResourceID: n.res[0]},
		{At: time.Date(2026, 2, 6, 10, 0, 0, 0, time.UTC), PatronID: n.patrons[1], LibraryID: n.libs[1], ResourceID: n.res[1]},
		{At: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), PatronID: n.patrons[1], LibraryID: n.libs[1], ResourceID: n.res[0]},
	} {
		must(st.RecordLaunch(ctx, l))
	}
	paris, err := time.LoadLocation("Europe/Paris")
	must(err)
	must(st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.FoldLaunches(ctx, time.Date(2026, 2, 1, 0, 0, 0, 0, paris), paris)
		return err
	}))
	return n
}

// copyTarget opens a fresh database of open's engine without migrating
// it, and returns it with its DSN.
func copyTarget(t testing.TB, open Opener) (*store.Store, string) {
	t.Helper()
	dsn := freshDSN(t, open)
	return openCopyTarget(t, dsn), dsn
}

// openCopyTarget opens dsn without migrating it: Copy must do it.
func openCopyTarget(t testing.TB, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func testCopy(t *testing.T, open Opener) {
	ctx := context.Background()
	src := newSourceNetwork(t)
	dst, dsn := copyTarget(t, open)

	var calls []string
	report, err := store.Copy(ctx, src.st, dst, func(table string, done, total int) {
		if done > total {
			t.Errorf("progress of %s: %d done of %d", table, done, total)
		}
		calls = append(calls, fmt.Sprintf("%s %d/%d", table, done, total))
	})
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if !report.Counted {
		t.Error("the report has no counts of the target")
	}
	want := map[string]int{"network": 1, "libraries": 3, "resources": 3, "staff": 3, "patrons": 50, "mail_outbox": 2, "jobs": 1, "cas_users": 1, "saml_identity": 1, "oidc_keys": 2, "staff_recovery_codes": 2}
	for _, tc := range report.Tables {
		if tc.Source != tc.Target || tc.Written != tc.Source {
			t.Errorf("%s: got source %d, written %d, target %d; want all equal", tc.Table, tc.Source, tc.Written, tc.Target)
		}
		if n, ok := want[tc.Table]; ok && tc.Source != n {
			t.Errorf("%s: got %d rows, want %d", tc.Table, tc.Source, n)
		}
	}
	var tables []string
	for _, tc := range report.Tables {
		tables = append(tables, tc.Table)
	}
	if got, want := strings.Join(tables, " "), "network libraries resources resource_offers library_seat_caps staff staff_recovery_codes patrons patron_counts grants parental_consents digest_requests reminders_sent audit_events connectors launches connector_failures connector_alerts api_keys renewal_imports renewal_import_rows renewal_import_lines import_mappings stats_months stats_library_months stats_network_months stats_years stats_library_years stats_year_patrons stats_account_months stats_patron_months stats_user_firsts stats_library_user_firsts stats_network_user_firsts stats_network_years stats_network_account_months stats_fold cas_users oidc_keys saml_identity mail_outbox jobs"; got != want {
		t.Errorf("tables: got %s, want %s", got, want)
	}
	if got, want := strings.Join(report.NotCopied, " "), "sessions patron_sessions login_throttle password_resets registrations consent_requests sso_tokens cas_tickets cas_logins oidc_auth_requests oidc_tokens saml_requests sso_participants staff_pending_logins server_keys"; got != want {
		t.Errorf("not copied: got %q, want %q", got, want)
	}
	if last := calls[len(calls)-1]; last != fmt.Sprintf("jobs %d/%d", want["jobs"], want["jobs"]) {
		t.Errorf("last progress: got %q, want jobs done", last)
	}

	checkSameNetwork(t, src, dst)
	checkSameRows(t, src.path, dsn)
	checkFullSchema(t, open, dsn)
	checkPendingCounts(t, dsn)

	// Search works on the target, accents folded, through the
	// trigram table on SQLite.
	page, err := dst.ListPatrons(ctx, store.LibraryScope(src.libs[0]), store.PatronFilter{Query: "lefevre mae"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 || len(page.Rows) != 1 || page.Rows[0].ID != src.lefevre {
		t.Errorf("search lefevre: got %d rows (total %d), want patron %d", len(page.Rows), page.Total, src.lefevre)
	}
	for _, q := range []string{"nom0", "example", "c0001", "p4"} {
		for _, sc := range []store.Scope{store.NetworkScope(), store.LibraryScope(src.libs[1])} {
			f := store.PatronFilter{Query: q, Limit: 100}
			want, err := src.st.ListPatrons(ctx, sc, f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dst.ListPatrons(ctx, sc, f)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != want.Total || len(got.Rows) != len(want.Rows) || want.Total == 0 {
				t.Errorf("search %q in %+v: got %d rows (total %d), want %d (total %d)", q, sc, len(got.Rows), got.Total, len(want.Rows), want.Total)
			}
		}
	}

	// Sessions are not copied.
	if _, err := dst.SessionByHash(ctx, "token-hash"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("session on the target: got %v, want not found", err)
	}
	if _, err := dst.PendingLoginByHash(ctx, "pending-hash"); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("login waiting for its code on the target: got %v, want not found", err)
	}

	// New rows get new ids: the sequences moved past the copied ones.
	lib, err := dst.CreateLibrary(ctx, sesame.Library{Code: "BENODET", Name: "n", Town: "t", ContactEmail: "c@example.org"}, sys)
	if err != nil {
		t.Fatalf("create a library on the target: %v", err)
	}
	id, err := dst.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "Nouveau", FirstName: "Né",
		Email: "nouveau@example.org", BirthDate: sesame.MustDate(2000, 1, 1), RegisteredOn: sesame.MustDate(2026, 3, 3),
		Status: sesame.StatusToValidate}, ResourceIDs: src.res[:1]}, sys)
	if err != nil {
		t.Fatalf("create a patron on the target: %v", err)
	}
	if id <= src.lefevre {
		t.Errorf("new patron id %d, want above %d", id, src.lefevre)
	}
	if _, err := dst.CreateStaff(ctx, sesame.Staff{Login: "nouveau", Name: "n", Role: sesame.RoleAdmin, PasswordHash: "h"}, sys); err != nil {
		t.Errorf("create staff on the target: %v", err)
	}
	if err := dst.Enqueue(ctx, "mail", "{}", time.Now()); err != nil {
		t.Errorf("enqueue a job on the target: %v", err)
	}
}

func testCopyAgain(t *testing.T, open Opener) {
	ctx := context.Background()
	src := newSourceNetwork(t)
	dst, dsn := copyTarget(t, open)

	// Interrupted once the patrons are in: their page is committed,
	// the grants are not begun.
	stopped, stop := context.WithCancel(ctx)
	defer stop()
	report, err := store.Copy(stopped, src.st, dst, func(table string, done, total int) {
		if table == "grants" {
			stop()
		}
	})
	if err == nil {
		t.Fatal("copy went on after its context ended")
	}
	if report.Counted {
		t.Error("an interrupted copy reports counts of the target")
	}
	// It put off the indexes of the tables it found empty, and left them
	// recorded: the next run builds them, at its start.
	if rows := ReadRows(t, dsn, `SELECT name FROM deferred_indexes WHERE table_name = 'grants'`); len(rows) == 0 {
		t.Error("the interrupted copy left no index of grants to restore")
	}

	for i, wantWritten := range []func(table string, source int) int{
		func(table string, source int) int { // resumed: the patrons are there
			switch table {
			case "network", "libraries", "resources", "staff", "staff_recovery_codes", "patrons", "patron_counts":
				return 0
			}
			return source
		},
		func(string, int) int { return 0 }, // and again: nothing left to write
	} {
		report, err := store.Copy(ctx, src.st, dst, nil)
		if err != nil {
			t.Fatalf("run %d: %v", i+2, err)
		}
		for _, tc := range report.Tables {
			if want := wantWritten(tc.Table, tc.Source); tc.Written != want || tc.Target != tc.Source {
				t.Errorf("run %d, %s: got source %d, written %d, target %d; want %d written and the target as the source",
					i+2, tc.Table, tc.Source, tc.Written, tc.Target, want)
			}
		}
	}
	checkSameNetwork(t, src, dst)
	checkFullSchema(t, open, dsn)
	checkPendingCounts(t, dsn)
}

// testCopyThereAndBack copies the network into open's engine and back into
// a fresh SQLite file: from PostgreSQL, when open's is PostgreSQL.
func testCopyThereAndBack(t *testing.T, open Opener) {
	ctx := context.Background()
	src := newSourceNetwork(t)
	there, _ := copyTarget(t, open)
	if _, err := store.Copy(ctx, src.st, there, nil); err != nil {
		t.Fatalf("copy into PostgreSQL: %v", err)
	}
	back := filepath.Join(t.TempDir(), "back.db")
	dst := openCopyTarget(t, back)
	report, err := store.Copy(ctx, there, dst, nil)
	if err != nil {
		t.Fatalf("copy back into SQLite: %v", err)
	}
	if report.Written() == 0 {
		t.Error("nothing written")
	}
	checkSameNetwork(t, src, dst)
	checkSameRows(t, src.path, back)
	page, err := dst.ListPatrons(ctx, store.LibraryScope(src.libs[0]), store.PatronFilter{Query: "lefèvre"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 {
		t.Errorf("search on the SQLite copy of PostgreSQL: got %d, want 1", page.Total)
	}
}

func testCopyRefusesTheSameStore(t *testing.T, open Opener) {
	src := newSourceNetwork(t)
	if _, err := store.Copy(context.Background(), src.st, src.st, nil); err == nil || !strings.Contains(err.Error(), "same database") {
		t.Errorf("got %v, want an error about the same database", err)
	}
}

func testCopyVerifies(t *testing.T, open Opener) {
	ctx := context.Background()
	src := newSourceNetwork(t)
	dst, _ := copyTarget(t, open)
	if _, err := store.Copy(ctx, src.st, dst, nil); err != nil {
		t.Fatal(err)
	}
	// A patron created on the target since: the counts no longer agree,
	// and Copy says where.
	if _, err := dst.CreateLibrary(ctx, sesame.Library{Code: "X", Name: "n", Town: "t", ContactEmail: "c@example.org"}, sys); err != nil {
		t.Fatal(err)
	}
	_, err := store.Copy(ctx, src.st, dst, nil)
	if err == nil || !strings.Contains(err.Error(), "libraries: 3 rows in the source, 4 in the target") {
		t.Errorf("got %v, want the libraries' counts in the error", err)
	}
}

func testCopyRefusesUnknownTables(t *testing.T, open Opener) {
	src := newSourceNetwork(t)
	db, err := sql.Open("sqlite", src.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE loans (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	dst, _ := copyTarget(t, open)
	report, err := store.Copy(context.Background(), src.st, dst, nil)
	if err == nil || !strings.Contains(err.Error(), "(loans)") {
		t.Errorf("got %v, want an error naming the table loans", err)
	}
	if report.Written() != 0 {
		t.Errorf("got %d rows written, want none", report.Written())
	}
}

// checkSameNetwork compares what the store's methods read on both sides.
func checkSameNetwork(t *testing.T, src *sourceNetwork, dst *store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, id := range src.patrons {
		want, err := src.st.Patron(ctx, store.NetworkScope(), id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dst.Patron(ctx, store.NetworkScope(), id)
		if err != nil {
			t.Fatalf("patron %d on the target: %v", id, err)
		}
		if !want.CreatedAt.Equal(got.CreatedAt) || !want.UpdatedAt.Equal(got.UpdatedAt) {
			t.Errorf("patron %d: got times %s, %s, want %s, %s", id, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
		}
		got.CreatedAt, got.UpdatedAt = want.CreatedAt, want.UpdatedAt
		if *got != *want {
			t.Errorf("patron %d: got %+v, want %+v", id, *got, *want)
		}
		wantGrants, err := src.st.PatronGrants(ctx, store.NetworkScope(), id)
		if err != nil {
			t.Fatal(err)
		}
		gotGrants, err := dst.PatronGrants(ctx, store.NetworkScope(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotGrants, wantGrants) {
			t.Errorf("grants of %d: got %+v, want %+v", id, gotGrants, wantGrants)
		}
	}
	if _, err := dst.Patron(ctx, store.NetworkScope(), src.deletedID); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("deleted patron on the target: got %v, want not found", err)
	}
	for _, sc := range []store.Scope{store.NetworkScope(), store.LibraryScope(src.libs[0]), store.LibraryScope(src.libs[2])} {
		want, err := src.st.StatusCounts(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dst.StatusCounts(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		for status, n := range want {
			if got[status] != n {
				t.Errorf("%+v, %s: got %d patrons, want %d", sc, status, got[status], n)
			}
		}
		for status, n := range got {
			if want[status] != n {
				t.Errorf("%+v, %s: got %d patrons, want %d", sc, status, n, want[status])
			}
		}
		// The « À traiter » count reads what the grants' triggers counted
		// on the target as the grants were copied.
		wantTally, err := src.st.Tally(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := dst.Tally(ctx, sc); err != nil || got.Awaiting != wantTally.Awaiting {
			t.Errorf("%+v: « À traiter » got %d (%v), want %d", sc, got.Awaiting, err, wantTally.Awaiting)
		}
	}
	wantNet, _ := src.st.Network(ctx)
	gotNet, err := dst.Network(ctx)
	if err != nil || !reflect.DeepEqual(gotNet, wantNet) {
		t.Errorf("network: got %+v (%v), want %+v", gotNet, err, wantNet)
	}
	wantLibs, _ := src.st.Libraries(ctx)
	gotLibs, err := dst.Libraries(ctx)
	if err != nil || !reflect.DeepEqual(gotLibs, wantLibs) {
		t.Errorf("libraries: got %+v (%v), want %+v", gotLibs, err, wantLibs)
	}
	wantRes, _ := src.st.Resources(ctx)
	gotRes, err := dst.Resources(ctx)
	if err != nil || !reflect.DeepEqual(gotRes, wantRes) {
		t.Errorf("resources: got %+v (%v), want %+v", gotRes, err, wantRes)
	}
	wantStaff, _ := src.st.StaffList(ctx)
	gotStaff, err := dst.StaffList(ctx)
	if err != nil || len(gotStaff) != len(wantStaff) {
		t.Fatalf("staff: got %d (%v), want %d", len(gotStaff), err, len(wantStaff))
	}
	for i := range wantStaff {
		if !gotStaff[i].CreatedAt.Equal(wantStaff[i].CreatedAt) {
			t.Errorf("staff %s: got created %s, want %s", wantStaff[i].Login, gotStaff[i].CreatedAt, wantStaff[i].CreatedAt)
		}
		gotStaff[i].CreatedAt = wantStaff[i].CreatedAt
		if gotStaff[i] != wantStaff[i] {
			t.Errorf("staff: got %+v, want %+v", gotStaff[i], wantStaff[i])
		}
	}
}

// checkSameRows compares, column by column, what the store's methods do not
// show: password hashes, sort and search keys, audit events, jobs.
func checkSameRows(t *testing.T, srcPath, dstDSN string) {
	t.Helper()
	queries := []string{
		`SELECT id, password_hash, sort_last, sort_first, search_text, version, created_at, updated_at FROM patrons ORDER BY id`,
		`SELECT patron_id, resource_id, state, updated_at FROM grants ORDER BY patron_id, resource_id`,
		`SELECT id, at, actor, COALESCE(library_id, 0), COALESCE(patron_id, 0), action, detail, counts_at FROM audit_events ORDER BY id`,
		`SELECT id, kind, payload, run_at, attempts, locked_by, locked_until, done_at, last_error, created_at FROM jobs ORDER BY id`,
		`SELECT id, to_addr, to_name, subject, text_body, html_body, created_at, sent_at, kept, attempts, last_error FROM mail_outbox ORDER BY id`,
		`SELECT month, library_id, resource_id, launches, users FROM stats_months ORDER BY month, library_id, resource_id`,
		`SELECT month, resource_id, launches, users FROM stats_network_months ORDER BY month, resource_id`,
		`SELECT year, library_id, patron_id, resource_id FROM stats_year_patrons ORDER BY year, library_id, patron_id, resource_id`,
		`SELECT month, library_id, registrations, validations, refusals, renewals, expiries FROM stats_account_months ORDER BY month, library_id`,
		`SELECT id, counted_until, kept_since, last_run_at FROM stats_fold`,
		`SELECT id, at, COALESCE(patron_id, 0), library_id, resource_id FROM launches ORDER BY id`,
		`SELECT id, totp_secret, totp_last_step, totp_enabled_at FROM staff ORDER BY id`,
		`SELECT staff_id, code_hash, created_at FROM staff_recovery_codes ORDER BY staff_id, code_hash`,
	}
	for _, q := range queries {
		want := ReadRows(t, srcPath, q)
		got := ReadRows(t, dstDSN, q)
		if len(want) == 0 {
			t.Errorf("%s: no rows in the source", q)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\ngot  %v\nwant %v", q, got, want)
		}
	}
}

// execRaw runs statements on the database of dsn, as an operator or a
// future migration would, behind the store's back.
func execRaw(t testing.TB, dsn string, queries ...string) {
	t.Helper()
	db := openSQL(t, dsn, false)
	for _, q := range queries {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// testCopyAddedColumn: a column a migration adds is copied without anyone
// listing it, and a column only one side has stops the copy before it
// writes anything, naming the column. Copied back into SQLite, the column
// comes back too: from PostgreSQL when open's engine is PostgreSQL.
func testCopyAddedColumn(t *testing.T, open Opener) {
	const (
		addColumn = `ALTER TABLE patrons ADD COLUMN extra TEXT`
		fillIt    = `UPDATE patrons SET extra = 'valeur ' || id`
		readIt    = `SELECT id, extra FROM patrons ORDER BY id`
	)
	tests := []struct {
		name               string
		inSource, inTarget bool
		wantErr            string // empty when the copy must succeed
	}{
		{"in both", true, true, ""},
		{"only in the source", true, false, "column patrons.extra is in the source but not in the target"},
		{"only in the target", false, true, "column patrons.extra is in the target but not in the source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			src := newSourceNetwork(t)
			dst, dsn := copyTarget(t, open)
			if err := dst.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if tt.inSource {
				execRaw(t, src.path, addColumn, fillIt)
			}
			if tt.inTarget {
				execRaw(t, dsn, addColumn)
			}
			report, err := store.Copy(ctx, src.st, dst, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("copy: got %v, want an error saying %q", err, tt.wantErr)
				}
				if report.Written() != 0 {
					t.Errorf("got %d rows written, want none", report.Written())
				}
				return
			}
			if err != nil {
				t.Fatalf("copy: %v", err)
			}
			want := ReadRows(t, src.path, readIt)
			if got := ReadRows(t, dsn, readIt); !reflect.DeepEqual(got, want) || len(want) == 0 || want[0][1] == "<nil>" {
				t.Errorf("extra in the target:\ngot  %v\nwant %v", got, want)
			}

			back, backPath := copyTarget(t, OpenSQLite)
			if err := back.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			execRaw(t, backPath, addColumn)
			if _, err := store.Copy(ctx, dst, back, nil); err != nil {
				t.Fatalf("copy back into SQLite: %v", err)
			}
			if got := ReadRows(t, backPath, readIt); !reflect.DeepEqual(got, want) {
				t.Errorf("extra copied back:\ngot  %v\nwant %v", got, want)
			}
		})
	}
}
