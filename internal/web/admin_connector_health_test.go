package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/bdf29/sesame"
)

// spMetadataEnding is a service provider's metadata whose self-signed
// certificate ends at end.
func spMetadataEnding(t testing.TB, end time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vendeur.example"}, NotBefore: end.AddDate(-1, 0, 0), NotAfter: end}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sante.example/saml"><SPSSODescriptor>` +
		`<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + base64.StdEncoding.EncodeToString(der) +
		`</X509Certificate></X509Data></KeyInfo></KeyDescriptor>` +
		`<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sante.example/saml/acs" index="0"/></SPSSODescriptor></EntityDescriptor>`
}

// healthWorld adds a SAML connector whose certificate ends in 10 days, a
// signed link that failed 5 times this morning, and a CAS connector in
// good health.
func healthWorld(t *testing.T) (w *world, samlID, linkID, casID int64) {
	t.Helper()
	w = newWorld(t)
	ctx := context.Background()
	sys := sesame.Actor{Label: "test"}
	var err error
	if samlID, err = w.store.CreateConnector(ctx, sesame.Connector{ResourceID: w.res[1], Kind: sesame.ConnectorSAML,
		SAML: sesame.SAMLSettings{EntityID: "https://sante.example/saml", Metadata: spMetadataEnding(t, w.clock.Now().AddDate(0, 0, 10))}}, sys); err != nil {
		t.Fatal(err)
	}
	if linkID, err = w.store.CreateConnector(ctx, sesame.Connector{ResourceID: w.res[0], Kind: sesame.ConnectorSignedLink, Secret: "clef-partagee",
		Link: sesame.SignedLinkSettings{Preset: "custom", URL: "https://livres.example/e?id={card}&h={hash}", Hash: "sha256", Signed: "{card}{secret}"}}, sys); err != nil {
		t.Fatal(err)
	}
	if casID, err = w.store.CreateConnector(ctx, sesame.Connector{ResourceID: w.res[2], Kind: sesame.ConnectorCAS,
		CAS: sesame.CASSettings{ServicePrefix: "https://cours.example/"}}, sys); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := w.store.RecordConnectorFailure(ctx, sesame.ConnectorFailure{ConnectorID: linkID, At: w.clock.Now().Add(-time.Duration(i+1) * time.Minute),
			Reason: sesame.FailureBroken, Detail: "Lien impossible à construire."}); err != nil {
			t.Fatal(err)
		}
	}
	return w, samlID, linkID, casID
}

// TestConnectorHealthPage: « État des connecteurs » gives each connector's
// last failure and the SAML certificate's end, the admin's home flags the
// two connectors in trouble, and « Tester » says check by check what holds.
func TestConnectorHealthPage(t *testing.T) {
	w, samlID, linkID, casID := healthWorld(t)
	admin := w.login("admin")

	home := admin.get("/admin")
	flagged := home.text("alertes-connecteurs")
	if flagged == "" {
		t.Fatalf("admin home: no « Connecteurs à surveiller »")
	}
	var warned []string
	walk(home.doc, func(n *html.Node) {
		if n.Data == "a" && strings.HasPrefix(attr(n, "href"), "/admin/connecteurs/etat#etat-") {
			warned = append(warned, strings.TrimPrefix(attr(n, "href"), "/admin/connecteurs/etat#etat-"))
		}
	})
	if strings.Join(warned, ",") != itoa(samlID)+","+itoa(linkID) {
		t.Errorf("admin home flags %v, want connectors %d and %d", warned, samlID, linkID)
	}

	page := admin.get("/admin/connecteurs/etat")
	if page.status != http.StatusOK {
		t.Fatalf("got %d, want 200", page.status)
	}
	if row := page.text("etat-" + itoa(linkID)); !strings.Contains(row, "Connecteur en erreur") || !strings.Contains(row, "5 échecs du connecteur en 24 heures") {
		t.Errorf("signed link row: got %q, want its last failure and the warning", row)
	}
	if row := page.text("etat-" + itoa(samlID)); !strings.Contains(row, "valable jusqu'au 06/12/2026") || !strings.Contains(row, "prend fin le 06/12/2026") {
		t.Errorf("SAML row: got %q, want the certificate's end and the warning", row)
	}
	if row := page.text("etat-" + itoa(casID)); !strings.Contains(row, "aucune") {
		t.Errorf("CAS row: got %q, want no warning", row)
	}
	if !strings.Contains(page.body, "Tester le connecteur n° "+itoa(casID)+" (CAS) de Tout apprendre") {
		t.Errorf("no « Tester » button naming the CAS connector")
	}

	for _, tt := range []struct {
		name  string
		id    int64
		title string
		in    []string
	}{
		{"CAS", casID, "réussi", []string{"Réglages : réussi.", "Préfixe du service : réussi."}},
		{"SAML", samlID, "réussi", []string{"Métadonnées SAML : réussi.", "Certificat du fournisseur de service : réussi. Le certificat est valable jusqu'au 06/12/2026."}},
		{"signed link", linkID, "réussi", []string{"Clé secrète : réussi.", "Modèle du lien : réussi."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.get("/admin/connecteurs/etat?tester=" + itoa(tt.id))
			result := res.text("resultat")
			if !strings.Contains(result, tt.title) {
				t.Errorf("result: got %q, want %q", result, tt.title)
			}
			for _, want := range tt.in {
				if !strings.Contains(result, want) {
					t.Errorf("result: got %q, want %q in it", result, want)
				}
			}
			if title := res.title(); !strings.HasPrefix(title, "Test du connecteur n° "+itoa(tt.id)) {
				t.Errorf("title: got %q, want the test's result first", title)
			}
		})
	}
	if res := admin.get("/admin/connecteurs/etat?tester=999"); res.status != http.StatusOK || !strings.Contains(res.body, "existe pas ou a été supprimé") {
		t.Errorf("unknown connector: got %d, want the page with a message", res.status)
	}
	if res := w.login("fouesnant").get("/admin/connecteurs/etat"); res.status != http.StatusForbidden {
		t.Errorf("library staff: got %d, want 403", res.status)
	}
}
