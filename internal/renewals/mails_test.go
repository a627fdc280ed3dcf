package renewals_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/lifecycle"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/sigb"
	"github.com/bdf29/sesame/internal/store"
)

// TestMailsAhead: the mails rendered ahead of a batch's transaction are the
// ones lifecycle.Mailer.Decision writes for the same patrons; one whose
// data changed in between (a resource renamed, which changes no patron) is
// rendered again in the transaction, from what it reads.
func TestMailsAhead(t *testing.T) {
	onEachEngine(t, func(t *testing.T, n *network) {
		ctx := context.Background()
		sc, in := store.LibraryScope(n.fouesnant), renewals.Input{Source: "avance.csv", LibraryID: n.fouesnant}
		sys := sesame.Actor{Label: "test"}
		rid, err := n.st.CreateResource(ctx, sesame.Resource{Slug: "cafeyn", Name: "Cafeyn", Description: "d", URL: "https://example.org/"}, sys)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.st.SetGrants(ctx, sc, n.revalidate[0], []int64{rid}, sesame.GrantValidated, sys); err != nil {
			t.Fatal(err)
		}
		f2 := n.patron(t, n.revalidate[1])
		lines, ahead, err := n.svc.MatchThenApply(ctx, in, []sigb.Row{
			{Line: 2, Card: "F-1", RegisteredOn: fileDate},
			{Line: 3, Card: "F-2", RegisteredOn: fileDate},
		}, n.staff, func() {
			r, err := n.st.ResourceBySlug(ctx, "cafeyn")
			if err != nil {
				t.Fatal(err)
			}
			r.Name = "Cafeyn Presse"
			if err := n.st.UpdateResource(ctx, *r, sys); err != nil {
				t.Fatal(err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if ahead != 2 || len(lines) != 2 || lines[0].Outcome != renewals.Revalidated || lines[1].Outcome != renewals.Revalidated {
			t.Fatalf("got %d mails ahead and %+v, want 2 and both revalidated", ahead, lines)
		}
		byTo := map[string][]store.Mail{}
		for _, m := range n.outbox(t) {
			byTo[m.To] = append(byTo[m.To], m)
		}
		if ms := byTo[f2.Email]; len(byTo) != 2 || len(ms) != 1 {
			t.Fatalf("outbox: %v", byTo)
		}
		if m := byTo["usager1@example.org"]; len(m) != 1 || !strings.Contains(m[0].Text, "Cafeyn Presse") {
			t.Errorf("F-1's mail does not list the resource as it is now:\n%v", m)
		}
		// The same mail, written by lifecycle for F-2 as saved.
		network, err := n.st.Network(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lib, err := n.st.Library(ctx, n.fouesnant)
		if err != nil {
			t.Fatal(err)
		}
		changed := *f2
		r := changed.RenewFromSIGB(sesame.SIGBDates{RegisteredOn: fileDate}, sesame.DateOf(n.svc.Now(), n.svc.Location), network.ValidityFor(lib))
		saved := n.patron(t, n.revalidate[1])
		mailer := &lifecycle.Mailer{BaseURL: n.svc.BaseURL, Logger: n.svc.Logger, NetworkName: func(context.Context) string { return network.Name }}
		if err := n.st.Update(ctx, func(tx *store.Tx) error { return mailer.Decision(ctx, r.Changes)(tx, saved) }); err != nil {
			t.Fatal(err)
		}
		var twice []store.Mail
		for _, m := range n.outbox(t) {
			if m.To == f2.Email {
				twice = append(twice, m)
			}
		}
		if len(twice) != 2 {
			t.Fatalf("got %d mails to F-2, want the import's and lifecycle's", len(twice))
		}
		a, b := twice[0], twice[1]
		if a.ToName != b.ToName || a.Subject != b.Subject || a.Text != b.Text || a.HTML != b.HTML {
			t.Errorf("the mail rendered ahead differs from lifecycle's:\n%+v\n%+v", a, b)
		}
	})
}
