package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// testUpdateConnector changes a connector as the admin's edit form does:
// its settings and secret are saved, checked as at creation, a taken
// client_id is a conflict, and another kind's id is not found.
func testUpdateConnector(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	// #nosec G101 -- a test connector's secret.
	link := sesame.Connector{ResourceID: f.res[0], Kind: sesame.ConnectorSignedLink, Secret: "premiere-cle-secrete",
		Link: sesame.SignedLinkSettings{Preset: "tout-apprendre", URL: "https://ancien.example/?id={card}&h={hash}"}}
	link.Link.ApplyPreset()
	id, err := f.st.CreateConnector(ctx, link, sys)
	if err != nil {
		t.Fatal(err)
	}
	link.ID, link.ResourceID, link.Link.URL = id, f.res[1], "https://nouveau.example/?id={card}&h={hash}"
	if err := f.st.UpdateConnector(ctx, link, sys); err != nil {
		t.Fatalf("update: %v", err)
	}
	got, err := f.st.Connector(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Link.URL != link.Link.URL || got.ResourceID != f.res[1] || got.Secret != "premiere-cle-secrete" || got.Kind != sesame.ConnectorSignedLink {
		t.Errorf("after update: %+v", got)
	}
	link.Secret = "nouvelle-cle-secrete"
	if err := f.st.UpdateConnector(ctx, link, sys); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.st.Connector(ctx, id); got.Secret != "nouvelle-cle-secrete" {
		t.Errorf("secret after update: %q", got.Secret)
	}
	bad := link
	bad.Secret = "court"
	if err := f.st.UpdateConnector(ctx, bad, sys); sesame.ErrorCode(err) != sesame.EInvalid {
		t.Errorf("short secret: got %v, want invalid", err)
	}
	other := link
	other.Kind, other.Link, other.Secret = sesame.ConnectorCAS, sesame.SignedLinkSettings{}, ""
	other.CAS.ServicePrefix = "https://cas.example/"
	if err := f.st.UpdateConnector(ctx, other, sys); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("another kind: got %v, want not found", err)
	}

	oidc := func(clientID string) sesame.Connector {
		return sesame.Connector{ResourceID: f.res[2], Kind: sesame.ConnectorOIDC,
			OIDC: sesame.OIDCSettings{ClientID: clientID, RedirectURIs: []string{"https://rp.example/callback"}}}
	}
	if _, err := f.st.CreateConnector(ctx, oidc("premier"), sys); err != nil {
		t.Fatal(err)
	}
	second, err := f.st.CreateConnector(ctx, oidc("second"), sys)
	if err != nil {
		t.Fatal(err)
	}
	taken := oidc("premier")
	taken.ID = second
	if err := f.st.UpdateConnector(ctx, taken, sys); sesame.ErrorCode(err) != sesame.EConflict {
		t.Errorf("client_id taken: got %v, want conflict", err)
	}
	if c, err := f.st.ConnectorByLookup(ctx, sesame.ConnectorOIDC, "second"); err != nil || c.ID != second {
		t.Errorf("the refused change left the connector: %v %v", c, err)
	}
}

// testConnectorFailuresBounded: each connector keeps its last
// ConnectorFailuresKept failures, newest first, however many happen; a
// deleted connector's failures go with it.
func testConnectorFailuresBounded(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	newCAS := func(prefix string) int64 {
		id, err := f.st.CreateConnector(ctx, sesame.Connector{ResourceID: f.res[0], Kind: sesame.ConnectorCAS,
			CAS: sesame.CASSettings{ServicePrefix: prefix}}, sys)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	busy, quiet := newCAS("https://busy.example/"), newCAS("https://quiet.example/")
	start := f.now
	const failures = store.ConnectorFailuresKept + 7
	for i := range failures {
		err := f.st.RecordConnectorFailure(ctx, sesame.ConnectorFailure{ConnectorID: busy, At: start.Add(time.Duration(i) * time.Minute),
			Reason: sesame.FailureAccessRefused, Detail: fmt.Sprint("échec ", i)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.RecordConnectorFailure(ctx, sesame.ConnectorFailure{ConnectorID: quiet, At: start,
		Reason: sesame.FailureBroken, Detail: "seul échec"}); err != nil {
		t.Fatal(err)
	}
	all, err := f.st.ConnectorFailures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept := all[busy]
	if len(kept) != store.ConnectorFailuresKept {
		t.Fatalf("busy connector: %d failures kept, want %d", len(kept), store.ConnectorFailuresKept)
	}
	if kept[0].Detail != fmt.Sprint("échec ", failures-1) || kept[len(kept)-1].Detail != fmt.Sprint("échec ", failures-store.ConnectorFailuresKept) {
		t.Errorf("kept %q … %q, want the newest first, the oldest forgotten", kept[0].Detail, kept[len(kept)-1].Detail)
	}
	if !kept[0].At.Equal(start.Add((failures-1)*time.Minute).Truncate(time.Microsecond)) || kept[0].Reason != sesame.FailureAccessRefused {
		t.Errorf("newest failure: %+v", kept[0])
	}
	if q := all[quiet]; len(q) != 1 || q[0].Reason != sesame.FailureBroken || q[0].Detail != "seul échec" {
		t.Errorf("the quiet connector's failure must stay: %+v", q)
	}
	if err := f.st.DeleteConnector(ctx, busy, sys); err != nil {
		t.Fatal(err)
	}
	if all, _ = f.st.ConnectorFailures(ctx); len(all[busy]) != 0 || len(all[quiet]) != 1 {
		t.Errorf("after deleting the busy connector: %d and %d failures", len(all[busy]), len(all[quiet]))
	}
	if err := f.st.RecordConnectorFailure(ctx, sesame.ConnectorFailure{ConnectorID: busy, At: start, Reason: sesame.FailureBroken}); err == nil {
		t.Error("a failure of a deleted connector was recorded")
	}
}

// testNetworkListAcrossLibraries: the network admin's list is sorted by
// name across every library, not grouped by library; LibraryID narrows it
// to one library, with its count, and a library's scope ignores it.
func testNetworkListAcrossLibraries(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	for i, p := range []struct {
		lib  int64
		name string
	}{{f.libB, "ABGRALL"}, {f.libA, "BIHAN"}, {f.libB, "CARIOU"}, {f.libA, "DANIEL"}, {f.libB, "ÉLIÈS"}} {
		f.patron(t, p.lib, p.name, fmt.Sprint("P", i), fmt.Sprintf("p%d@example.org", i), sesame.StatusToValidate)
	}
	names := func(sc store.Scope, filter store.PatronFilter) ([]string, int) {
		t.Helper()
		filter.Limit = 10
		counts, err := f.st.StatusCounts(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		filter.Counts = counts
		page, err := f.st.ListPatrons(ctx, sc, filter)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range page.Rows {
			out = append(out, r.LastName)
		}
		return out, page.Total
	}
	tests := []struct {
		name      string
		sc        store.Scope
		filter    store.PatronFilter
		want      []string
		wantTotal int
	}{
		{"network, by name", store.NetworkScope(), store.PatronFilter{}, []string{"ABGRALL", "BIHAN", "CARIOU", "DANIEL", "ÉLIÈS"}, 5},
		{"network, by name descending", store.NetworkScope(), store.PatronFilter{Desc: true}, []string{"ÉLIÈS", "DANIEL", "CARIOU", "BIHAN", "ABGRALL"}, 5},
		{"network narrowed to A", store.NetworkScope(), store.PatronFilter{LibraryID: f.libA}, []string{"BIHAN", "DANIEL"}, 2},
		{"network narrowed to B, searched", store.NetworkScope(), store.PatronFilter{LibraryID: f.libB, Query: "cariou"}, []string{"CARIOU"}, 1},
		{"library A asking for B", store.LibraryScope(f.libA), store.PatronFilter{LibraryID: f.libB}, []string{"BIHAN", "DANIEL"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total := names(tt.sc, tt.filter)
			if !slices.Equal(got, tt.want) || total != tt.wantTotal {
				t.Errorf("got %q (total %d), want %q (total %d)", got, total, tt.want, tt.wantTotal)
			}
		})
	}
	ids, err := f.st.MatchingPatronIDs(ctx, store.NetworkScope(), store.PatronFilter{LibraryID: f.libA}, 10)
	if err != nil || len(ids) != 2 {
		t.Errorf("bulk ids of the narrowed list: %v %v, want library A's 2", ids, err)
	}
}

// testFrenchOrder: libraries, resources and staff come in French order,
// accents and case aside, articles skipped.
func testFrenchOrder(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t, time.Now)
	for i, name := range []string{"Briec", "La Forêt-Fouesnant", "bénodet", "Quimper", "Le Relecq-Kerhuon", "Élliant"} {
		if _, err := st.CreateLibrary(ctx, sesame.Library{Code: fmt.Sprint("L", i), Name: name, Town: name, ContactEmail: "l@example.org"}, sys); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateResource(ctx, sesame.Resource{Slug: fmt.Sprint("r", i), Name: name, Description: "d", URL: "https://example.org/"}, sys); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateStaff(ctx, sesame.Staff{Login: fmt.Sprint("s", i), Name: name, Role: sesame.RoleAdmin, PasswordHash: "x"}, sys); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"bénodet", "Briec", "Élliant", "La Forêt-Fouesnant", "Quimper", "Le Relecq-Kerhuon"}
	libs, err := st.Libraries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resources, err := st.Resources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	staff, err := st.StaffList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var gotLibs, gotRes, gotStaff []string
	for _, l := range libs {
		gotLibs = append(gotLibs, l.Name)
	}
	for _, r := range resources {
		gotRes = append(gotRes, r.Name)
	}
	for _, s := range staff {
		gotStaff = append(gotStaff, s.Name)
	}
	for what, got := range map[string][]string{"libraries": gotLibs, "resources": gotRes, "staff": gotStaff} {
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", what, got, want)
		}
	}
}

// testSearchMail finds messages by recipient or subject, ignoring case,
// newest first; a search that matches nothing finds nothing.
func testSearchMail(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	for i, m := range []store.Mail{
		{To: "anne.gauthier@example.org", ToName: "Anne GAUTHIER", Subject: "Votre compte est validé"},
		{To: "yann@example.org", ToName: "Yann KERJEAN", Subject: "Rappel : fin de validité"},
		{To: "marie@example.org", ToName: "Marie GAUTHIER", Subject: "Demande 100% reçue"},
	} {
		f.now = f.now.Add(time.Duration(i) * time.Minute)
		m.Text, m.HTML = "texte", "<p>texte</p>"
		if err := f.st.Update(ctx, func(tx *store.Tx) error { _, err := tx.AddMail(ctx, m); return err }); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"marie@example.org", "yann@example.org", "anne.gauthier@example.org"}},
		{"gauthier", []string{"marie@example.org", "anne.gauthier@example.org"}},
		{"RAPPEL", []string{"yann@example.org"}},
		{"100%", []string{"marie@example.org"}},
		{"_", nil},
		{"personne", nil},
	}
	for _, tt := range tests {
		list, err := f.st.SearchMail(ctx, tt.query, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range list {
			got = append(got, m.To)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("search %q: got %q, want %q", tt.query, got, tt.want)
		}
	}
}
