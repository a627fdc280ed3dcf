package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// TestSIGBNoteShown: an À valider account the library system says is
// registered shows « Inscrit au SIGB le … » on its Statut tab and in the
// list; another account shows nothing of the kind.
func TestSIGBNoteShown(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p := w.patron(w.patronA)
	p.SIGBRegisteredOn = sesame.MustDate(2026, 11, 20)
	err := w.store.Update(ctx, func(tx *store.Tx) error {
		return tx.NoteSIGBRegistration(ctx, p, sesame.Actor{Label: "test"}, "Import SIGB export.csv, ligne 2 : inscrit", nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	c := w.login("fouesnant")
	tab := c.get("/abonnes/" + itoa(w.patronA) + "/statut")
	if got := tab.text("inscrit-sigb"); !strings.Contains(got, "Inscrit au SIGB le 20/11/2026") || !strings.Contains(got, "validez le compte") {
		t.Errorf("Statut tab: got %q, want the note", got)
	}
	list := c.get("/abonnes")
	if body := text(list.doc); strings.Count(body, "Inscrit au SIGB le 20/11/2026") != 1 {
		t.Errorf("list: got %d notes, want 1", strings.Count(body, "Inscrit au SIGB le 20/11/2026"))
	}
	other := w.login("quimper").get("/abonnes/" + itoa(w.patronB) + "/statut")
	if other.byID("inscrit-sigb") != nil {
		t.Error("a Validé account shows the note")
	}
}
