package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// testWithdrawGrant: a validated resource taken back (store.GrantWithdrawn)
// is no longer granted, as if never asked for; what its vendors hold of the
// patron ends, not what other resources' vendors hold; the change is typed
// (ChangeResourceWithdrawn) and audited; only validated resources are
// withdrawn; and the Expiré rule applies as to every grant change.
func testWithdrawGrant(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	staffA := sesame.Actor{StaffID: 1, Label: "fouesnant", Role: sesame.RoleLibrary, LibraryID: f.libA}
	admin := sesame.Actor{StaffID: 2, Label: "admin", Role: sesame.RoleAdmin}
	id := f.patron(t, f.libA, "LE BIHAN", "Gwenaël", "gwen@example.org", sesame.StatusValidated)
	if _, err := f.st.SetGrants(ctx, store.NetworkScope(), id, f.res[:2], sesame.GrantValidated, sys); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetGrants(ctx, store.NetworkScope(), id, f.res[2:], sesame.GrantPending, sys); err != nil {
		t.Fatal(err)
	}
	// A signed link's callback token waits for each of the first two resources.
	for i, token := range []string{"jeton-pressreader", "jeton-tout-apprendre"} {
		c := sesame.Connector{ResourceID: f.res[i], Kind: sesame.ConnectorSignedLink, Secret: "cle-partagee-du-fournisseur", // #nosec G101 -- a made-up vendor key
			Link: sesame.SignedLinkSettings{Preset: "custom", Hash: "hmac-sha256", Signed: "{uid}", URL: "https://vendor.example/entree?uid={uid}&token={token}&hash={hash}"}}
		connector, err := f.st.CreateConnector(ctx, c, sys)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.SaveSSOToken(ctx, token, id, connector, f.now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	withdraw := func(sc store.Scope, patron int64, actor sesame.Actor, resources ...int64) ([]string, []sesame.Change, error) {
		t.Helper()
		var got []sesame.Change
		changed, err := f.st.SetGrantsThen(ctx, sc, patron, resources, store.GrantWithdrawn, actor,
			func(_ *store.Tx, _ *sesame.Patron, changes []sesame.Change) error { got = changes; return nil })
		return changed, got, err
	}
	state := func(patron, resource int64) sesame.GrantState {
		t.Helper()
		g, err := f.st.PatronGrant(ctx, patron, resource)
		if err != nil {
			t.Fatal(err)
		}
		if g == nil {
			return ""
		}
		return g.State
	}

	if _, _, err := withdraw(store.LibraryScope(f.libB), id, sesame.Actor{Label: "quimper", Role: sesame.RoleLibrary, LibraryID: f.libB}, f.res[0]); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("another library withdraws: got %v, want not found", err)
	}
	changed, changes, err := withdraw(store.LibraryScope(f.libA), id, staffA, f.res[0])
	if err != nil || !slices.Equal(changed, []string{"pressreader"}) ||
		!slices.Equal(changes, []sesame.Change{{Kind: sesame.ChangeResourceWithdrawn, Resource: "pressreader"}}) {
		t.Fatalf("withdraw: got %v, %+v, %v; want pressreader withdrawn", changed, changes, err)
	}
	if got := []sesame.GrantState{state(id, f.res[0]), state(id, f.res[1]), state(id, f.res[2])}; !slices.Equal(got,
		[]sesame.GrantState{"", sesame.GrantValidated, sesame.GrantPending}) {
		t.Errorf("grants after the withdrawal: got %v, want none, validated, pending", got)
	}
	if _, err := f.st.UseSSOToken(ctx, "jeton-pressreader", id); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("the withdrawn resource's vendor token: got %v, want it ended", err)
	}
	if _, err := f.st.UseSSOToken(ctx, "jeton-tout-apprendre", id); err != nil {
		t.Errorf("another resource's vendor token: got %v, want it kept", err)
	}
	events, err := f.st.PatronHistory(ctx, store.NetworkScope(), id)
	if err != nil || len(events) == 0 || events[0].Action != string(sesame.ActionResources) || !strings.HasPrefix(events[0].Detail, "Ressources retirées : pressreader") {
		t.Errorf("history: got %+v, %v; want « Ressources retirées : pressreader » first", events, err)
	}

	// Nothing to withdraw: the same resource again, a pending one.
	if changed, _, err := withdraw(store.LibraryScope(f.libA), id, staffA, f.res[0], f.res[2]); err != nil || len(changed) != 0 {
		t.Errorf("withdraw what is not validated: got %v, %v; want no change", changed, err)
	}
	if got := state(id, f.res[2]); got != sesame.GrantPending {
		t.Errorf("a pending resource « withdrawn »: got %q, want it still pending", got)
	}

	expired := f.patron(t, f.libA, "TANGUY", "Soizic", "soizic@example.org", sesame.StatusExpired)
	if _, err := f.st.SetGrants(ctx, store.NetworkScope(), expired, f.res[:1], sesame.GrantValidated, sys); err != nil {
		t.Fatal(err)
	}
	if _, _, err := withdraw(store.LibraryScope(f.libA), expired, staffA, f.res[0]); sesame.ErrorCode(err) != sesame.EForbidden {
		t.Errorf("library staff withdraw on an Expiré account: got %v, want forbidden", err)
	}
	if changed, _, err := withdraw(store.NetworkScope(), expired, admin, f.res[0]); err != nil || len(changed) != 1 {
		t.Fatalf("network admin withdraws on an Expiré account: got %v, %v", changed, err)
	}
	events, err = f.st.PatronHistory(ctx, store.NetworkScope(), expired)
	if err != nil || len(events) == 0 || !strings.HasPrefix(events[0].Detail, sesame.ExpiredCorrectionNote) {
		t.Errorf("the admin's correction: got %+v, %v; want it audited as such", events, err)
	}
}
