package connhealth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/connhealth"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// SPMetadata is a service provider's metadata with a self-signed
// certificate ending at end.
func SPMetadata(t testing.TB, end time.Time) string {
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
	return `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://vendeur.example/saml"><SPSSODescriptor>` +
		`<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + base64.StdEncoding.EncodeToString(der) +
		`</X509Certificate></X509Data></KeyInfo></KeyDescriptor>` +
		`<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://vendeur.example/saml/acs" index="0"/></SPSSODescriptor></EntityDescriptor>`
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// TestWarningsMailedOncePerEpisode, on both engines: a SAML connector whose
// certificate ends in 10 days and a signed link that failed 5 times today
// are each mailed once; a successful launch ends the failures' episode, and
// new failures are mailed again; new metadata ending soon too are a new
// episode.
func TestWarningsMailedOncePerEpisode(t *testing.T) {
	for _, e := range []struct {
		name string
		open func(testing.TB, func() time.Time) *store.Store
	}{{"sqlite", storetest.OpenSQLite}, {"postgres", storetest.OpenPostgres}} {
		t.Run(e.name, func(t *testing.T) {
			ctx := context.Background()
			c := &clock{t: time.Date(2026, 12, 4, 7, 0, 0, 0, time.UTC)}
			st := e.open(t, c.Now)
			sys := sesame.Actor{Label: "test"}
			if err := st.SaveNetwork(ctx, sesame.Network{Name: "Réseau", ContactEmail: "reseau@example.org", ValidityMonths: 12}, sys); err != nil {
				t.Fatal(err)
			}
			lib, err := st.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Fouesnant", Town: "Fouesnant", ContactEmail: "f@example.org"}, sys)
			if err != nil {
				t.Fatal(err)
			}
			res, err := st.CreateResource(ctx, sesame.Resource{Slug: "pressreader", Name: "PressReader", Description: "d", URL: "https://example.org/"}, sys)
			if err != nil {
				t.Fatal(err)
			}
			samlID, err := st.CreateConnector(ctx, sesame.Connector{ResourceID: res, Kind: sesame.ConnectorSAML,
				SAML: sesame.SAMLSettings{EntityID: "https://vendeur.example/saml", Metadata: SPMetadata(t, c.t.AddDate(0, 0, 10))}}, sys)
			if err != nil {
				t.Fatal(err)
			}
			linkID, err := st.CreateConnector(ctx, sesame.Connector{ResourceID: res, Kind: sesame.ConnectorSignedLink, Secret: "clef-partagee",
				Link: sesame.SignedLinkSettings{Preset: "custom", URL: "https://vendeur.example/e?id={card}&h={hash}", Hash: "sha256", Signed: "{card}{secret}"}}, sys)
			if err != nil {
				t.Fatal(err)
			}
			fail := func(n int) {
				t.Helper()
				for i := range n {
					if err := st.RecordConnectorFailure(ctx, sesame.ConnectorFailure{ConnectorID: linkID, At: c.t.Add(-time.Duration(i+1) * time.Minute),
						Reason: sesame.FailureBroken, Detail: "Lien impossible à construire."}); err != nil {
						t.Fatal(err)
					}
				}
			}
			w := &connhealth.Watcher{Store: st, BaseURL: "https://sesame.example.org", Location: time.UTC, Now: c.Now,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			check := func(what string, want int) {
				t.Helper()
				got, err := w.Check(ctx)
				if err != nil || got != want {
					t.Fatalf("%s: got %d mails (%v), want %d", what, got, err, want)
				}
			}
			fail(5)
			check("first run", 2)
			mails, err := st.RecentMail(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			var subjects []string
			for _, m := range mails {
				if m.To != "reseau@example.org" {
					t.Errorf("mail to %s, want the network's contact", m.To)
				}
				subjects = append(subjects, m.Subject)
			}
			all := strings.Join(subjects, " | ")
			for _, want := range []string{"n° " + itoa(samlID) + " (SAML 2.0) de PressReader", "n° " + itoa(linkID) + " (Lien signé) de PressReader"} {
				if !strings.Contains(all, want) {
					t.Errorf("subjects %q: want one naming %q", all, want)
				}
			}
			check("same day, again", 0)

			c.t = c.t.Add(time.Hour)
			patron, err := st.CreatePatron(ctx, store.NewPatron{Patron: sesame.Patron{LibraryID: lib, LastName: "MOAL", FirstName: "Katell", Email: "k@example.org",
				BirthDate: sesame.MustDate(1980, 5, 17), PostalCode: "29170", Town: "Fouesnant", RegisteredOn: sesame.MustDate(2026, 1, 5), Status: sesame.StatusToValidate}}, sys)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.RecordLaunch(ctx, store.Launch{At: c.t.Add(-time.Minute), PatronID: patron, LibraryID: lib, ResourceID: res, ConnectorID: linkID}); err != nil {
				t.Fatal(err)
			}
			check("after a success", 0)
			c.t = c.t.Add(time.Hour)
			fail(5)
			check("failing again", 1)

			conn, err := st.Connector(ctx, samlID)
			if err != nil {
				t.Fatal(err)
			}
			conn.SAML.Metadata = SPMetadata(t, c.t.AddDate(0, 0, 20))
			if err := st.UpdateConnector(ctx, *conn, sys); err != nil {
				t.Fatal(err)
			}
			check("new metadata ending soon too", 1)
		})
	}
}

func itoa(id int64) string { return big.NewInt(id).String() }
