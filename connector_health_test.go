package sesame

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"
)

// spMetadata is a service provider's metadata with a self-signed
// certificate ending at end.
func spMetadata(t testing.TB, end time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vendeur.example"},
		NotBefore: end.AddDate(-1, 0, 0), NotAfter: end}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://vendeur.example/saml">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(der) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://vendeur.example/saml/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`
}

var healthNow = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

func failed(c []ConnectorCheck) string {
	var out []string
	for _, k := range c {
		if !k.OK {
			out = append(out, k.Name)
		}
	}
	return strings.Join(out, ", ")
}

func TestConnectorChecks(t *testing.T) {
	link := SignedLinkSettings{Preset: "custom", URL: "https://vendeur.example/entree?id={card}&t={time}&h={hash}", Hash: "sha256",
		Signed: "{card}{time}{secret}", TimeFormat: "unix"}
	tests := []struct {
		name       string
		c          Connector
		wantFailed string
	}{
		{"OIDC, well formed", Connector{ResourceID: 1, Kind: ConnectorOIDC, Secret: "s3cr3t-s3cr3t", OIDC: OIDCSettings{ClientID: "v", RedirectURIs: []string{"https://v.example/cb"}}}, ""},
		{"OIDC, secret unreadable", Connector{ResourceID: 1, Kind: ConnectorOIDC, SecretUnreadable: true, OIDC: OIDCSettings{ClientID: "v", RedirectURIs: []string{"https://v.example/cb"}}}, "Clé secrète"},
		{"OIDC, bad redirect URI", Connector{ResourceID: 1, Kind: ConnectorOIDC, OIDC: OIDCSettings{ClientID: "v", RedirectURIs: []string{"v.example/cb"}}}, "Réglages, Adresses de retour"},
		{"CAS", Connector{ResourceID: 1, Kind: ConnectorCAS, CAS: CASSettings{ServicePrefix: "https://v.example/"}}, ""},
		{"SAML, valid certificate", Connector{ResourceID: 1, Kind: ConnectorSAML, SAML: SAMLSettings{EntityID: "https://vendeur.example/saml", Metadata: spMetadata(t, healthNow.AddDate(1, 0, 0))}}, ""},
		{"SAML, certificate ended", Connector{ResourceID: 1, Kind: ConnectorSAML, SAML: SAMLSettings{EntityID: "https://vendeur.example/saml", Metadata: spMetadata(t, healthNow.AddDate(0, 0, -1))}}, "Certificat du fournisseur de service"},
		{"SAML, metadata unreadable", Connector{ResourceID: 1, Kind: ConnectorSAML, SAML: SAMLSettings{EntityID: "https://vendeur.example/saml", Metadata: "<EntityDescriptor"}}, "Métadonnées SAML"},
		{"signed link", Connector{ResourceID: 1, Kind: ConnectorSignedLink, Secret: "clef-partagee", Link: link}, ""},
		{"signed link without its key", Connector{ResourceID: 1, Kind: ConnectorSignedLink, SecretUnreadable: true, Link: link}, "Réglages, Clé secrète, Modèle du lien"},
		{"SIP2 without password", Connector{ResourceID: 1, Kind: ConnectorSIP2, SIP2: SIP2Settings{Login: "pressreader"}}, "Réglages, Mot de passe SIP2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := tt.c.Checks(healthNow)
			if got := failed(checks); got != tt.wantFailed {
				t.Errorf("failed checks: got %q, want %q (%+v)", got, tt.wantFailed, checks)
			}
			for _, k := range checks {
				if k.Detail == "" {
					t.Errorf("check %q: no words", k.Name)
				}
			}
		})
	}
}

func TestConnectorHealthOf(t *testing.T) {
	broken := func(ago ...time.Duration) []ConnectorFailure {
		var out []ConnectorFailure
		for _, a := range ago {
			out = append(out, ConnectorFailure{At: healthNow.Add(-a), Reason: FailureBroken, Detail: "x"})
		}
		return out
	}
	h := time.Hour
	link := &Connector{ID: 1, Kind: ConnectorSignedLink}
	tests := []struct {
		name        string
		c           *Connector
		lastSuccess time.Time
		failures    []ConnectorFailure
		want        []ConnectorWarning
	}{
		{"no failure", link, time.Time{}, nil, nil},
		{"four failures", link, time.Time{}, broken(1*h, 2*h, 3*h, 4*h), nil},
		{"five failures in 24 h", link, time.Time{}, broken(1*h, 2*h, 3*h, 4*h, 23*h), []ConnectorWarning{WarnRepeatedFailures}},
		{"five, one older than 24 h", link, time.Time{}, broken(1*h, 2*h, 3*h, 4*h, 25*h), nil},
		{"five, but a success after the second", link, healthNow.Add(-150 * time.Minute), broken(1*h, 2*h, 3*h, 4*h, 5*h), nil},
		{"five refused patrons", link, time.Time{}, []ConnectorFailure{{At: healthNow, Reason: FailureAccessRefused}, {At: healthNow, Reason: FailureAccessRefused},
			{At: healthNow, Reason: FailureAccessRefused}, {At: healthNow, Reason: FailureAccessRefused}, {At: healthNow, Reason: FailureAccessRefused}}, nil},
		{"certificate ending in 29 days", &Connector{Kind: ConnectorSAML, SAML: SAMLSettings{Metadata: spMetadata(t, healthNow.AddDate(0, 0, 29))}}, time.Time{}, nil, []ConnectorWarning{WarnCertificateEnding}},
		{"certificate ending in 31 days", &Connector{Kind: ConnectorSAML, SAML: SAMLSettings{Metadata: spMetadata(t, healthNow.AddDate(0, 0, 31))}}, time.Time{}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ConnectorHealthOf(tt.c, tt.lastSuccess, tt.failures, healthNow)
			if strings.Join(warningStrings(got.Warnings), ",") != strings.Join(warningStrings(tt.want), ",") {
				t.Errorf("got %v, want %v", got.Warnings, tt.want)
			}
			for _, w := range got.Warnings {
				if text := got.WarningText(w); text == "" || text == string(w) {
					t.Errorf("warning %s: got %q, want French words", w, text)
				}
			}
		})
	}
}

func warningStrings(ws []ConnectorWarning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, string(w))
	}
	return out
}
