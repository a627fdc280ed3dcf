package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
)

// releasedTable reads the table whose caption names resource and
// protocol: its rows, header cell to data cell.
func releasedTable(t testing.TB, r response, resource, protocol string) map[string]string {
	t.Helper()
	for _, table := range r.all("table") {
		caption := find(table, func(n *html.Node) bool { return n.Data == "caption" })
		if caption == nil || text(caption) != "Informations transmises au fournisseur de "+resource+" — "+protocol {
			continue
		}
		rows := map[string]string{}
		walk(table, func(n *html.Node) {
			if n.Type != html.ElementNode || n.Data != "tr" {
				return
			}
			th := find(n, func(n *html.Node) bool { return n.Data == "th" && attr(n, "scope") == "row" })
			td := find(n, func(n *html.Node) bool { return n.Data == "td" })
			if th != nil && td != nil {
				rows[text(th)] = text(td)
			}
		})
		return rows
	}
	return nil
}

// TestWhatVendorsKnowAboutMe: « Ce que les fournisseurs savent de moi »
// shows, for each resource opened, the protocol, what its connector
// releases with the patron's values (and nothing it does not), and the
// last launches in Paris time; « Télécharger mes données » says the same.
func TestWhatVendorsKnowAboutMe(t *testing.T) {
	tests := []struct {
		name     string
		connect  func(w *world) // adds the connector of Livres numériques
		launch   func(w *world, c *client)
		protocol string
		want     func(w *world) map[string]string
		absent   []string
	}{
		{
			name:    "signed link with a callback token",
			connect: func(w *world) { w.toutApprendre("cle-partagee-tout-apprendre") },
			launch: func(w *world, c *client) {
				w.signedLaunch(c)
				w.clock.Advance(10 * time.Minute)
				w.signedLaunch(c)
			},
			protocol: "Lien signé",
			want: func(w *world) map[string]string {
				return map[string]string{"Numéro de carte": "B-0001", "Numéro d'usager Sésame": itoa(w.patronB), "Nom": "KERJEAN", "Prénom": "Yann",
					"Adresse e-mail": "yann.kerjean@example.org", "Code de votre bibliothèque": "QUIMPER", "Fin de validité de votre compte": "01/06/2027"}
			},
			absent: []string{"Année de naissance", sesame.AttributePseudonym.Label()},
		},
		{
			name:     "signed link with the card and the name only",
			connect:  func(w *world) { w.mediathequeNumerique("cle-mediatheque-numerique") },
			launch:   func(w *world, c *client) { w.vendorLink(c) },
			protocol: "Lien signé",
			want: func(w *world) map[string]string {
				return map[string]string{"Numéro de carte": "B-0001", "Nom": "KERJEAN"}
			},
			absent: []string{"Adresse e-mail", "Prénom", "Numéro d'usager Sésame", "Fin de validité de votre compte"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.connect(w)
			c := w.patronLogin(w.patronB)
			tt.launch(w, c)
			res := c.get("/mon-compte/fournisseurs")
			if res.status != http.StatusOK {
				t.Fatalf("page: got %d, want 200; body %.300s", res.status, res.body)
			}
			var h2 []string
			for _, n := range res.all("h2") {
				if strings.HasPrefix(attr(n, "id"), "fournisseur-") {
					h2 = append(h2, text(n))
				}
			}
			if want := "Livres numériques"; len(h2) != 1 || h2[0] != want {
				t.Errorf("sections: got %q, want one, %q", h2, want)
			}
			rows := releasedTable(t, res, "Livres numériques", tt.protocol)
			if rows == nil {
				t.Fatalf("no table of what Livres numériques received: %.500s", res.body)
			}
			want := tt.want(w)
			for label, value := range want {
				if rows[label] != value {
					t.Errorf("%s: got %q, want %q", label, rows[label], value)
				}
			}
			for _, label := range tt.absent {
				if v, ok := rows[label]; ok {
					t.Errorf("%s: shown as %q, want it absent: the connector does not release it", label, v)
				}
			}
			if len(rows) != len(want) {
				t.Errorf("rows: got %v, want exactly %v", rows, want)
			}
			launches := w.launches(w.patronB)
			items := textsOf(res.all("li"))
			for _, l := range launches {
				if want := "le " + l.At.In(w.paris).Format("02/01/2006 à 15:04") + " (" + tt.protocol + ")"; !contains(items, want) {
					t.Errorf("launches: %q not among %q", want, items)
				}
			}

			data := c.get("/mon-compte/donnees")
			var got struct {
				Fournisseurs []struct {
					Ressource string
					Voies     []struct {
						Protocole string
						Transmis  []struct{ Information, Cle, Valeur string } `json:"informations_transmises"`
					}
					DerniersAcces []struct{ Date, ISO, Voie string } `json:"derniers_acces"`
				} `json:"ce_que_les_fournisseurs_savent"`
			}
			if err := json.Unmarshal([]byte(data.body), &got); err != nil {
				t.Fatalf("export: %v", err)
			}
			if len(got.Fournisseurs) != 1 || len(got.Fournisseurs[0].Voies) != 1 {
				t.Fatalf("export: got %+v, want one vendor, one way", got.Fournisseurs)
			}
			v := got.Fournisseurs[0]
			if v.Ressource != "Livres numériques" || v.Voies[0].Protocole != tt.protocol || len(v.DerniersAcces) != len(launches) || v.DerniersAcces[0].Voie != tt.protocol {
				t.Errorf("export: got %+v; want Livres numériques, %s, %d launches", v, tt.protocol, len(launches))
			}
			exported := map[string]string{}
			for _, a := range v.Voies[0].Transmis {
				exported[a.Information] = a.Valeur
			}
			for label, value := range want {
				if exported[label] != value {
					t.Errorf("export %s: got %q, want %q", label, exported[label], value)
				}
			}
		})
	}
}

// The OpenID Connect vendor knows the patron by the pairwise subject of its
// ID token: the page shows that very value.
func TestWhatVendorsKnowShowsTheOIDCSubject(t *testing.T) {
	w := newWorld(t)
	w.givePassword(w.patronB)
	v := w.oidcVendor(w.res[0], sesame.OIDCSettings{ClientID: "vendor-a"}, "secret-du-fournisseur-1234")
	c := w.anonymous()
	sub := v.login(c, w.patronB).idToken.Subject
	res := c.get("/mon-compte/fournisseurs")
	rows := releasedTable(t, res, "Livres numériques", "OpenID Connect")
	if got := rows[sesame.AttributePseudonym.Label()]; got != sub {
		t.Errorf("pseudonym: got %q, want the ID token's sub %q", got, sub)
	}
	if _, ok := rows["Adresse e-mail"]; ok {
		t.Error("e-mail shown, but the connector does not release it")
	}
	if got := rows["Nom"]; !strings.HasPrefix(got, "KERJEAN") {
		t.Errorf("Nom: got %q, want KERJEAN", got)
	}
}

func TestWhatVendorsKnowWithNoLaunch(t *testing.T) {
	w := newWorld(t)
	res := w.patronLogin(w.patronB).get("/mon-compte/fournisseurs")
	if res.status != http.StatusOK || !strings.Contains(res.body, "Vous n'avez ouvert aucune ressource") {
		t.Errorf("page: got %d, %.300s; want 200 saying no resource was opened", res.status, res.body)
	}
	if got := w.anonymous().get("/mon-compte/fournisseurs"); got.status == http.StatusOK {
		t.Error("the page answers without a login")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
