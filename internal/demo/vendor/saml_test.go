package vendor

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
)

// testIdP is an identity provider signing with a fresh key, as Sésame's.
func testIdP(t testing.TB, now time.Time) *crewjam.IdentityProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := url.Parse("https://sesame.test/saml/metadata")
	sso, _ := url.Parse("https://sesame.test/saml/sso")
	return &crewjam.IdentityProvider{Key: key, Signer: key, Certificate: cert, MetadataURL: *md, SSOURL: *sso}
}

// signedResponse is idp's answer to request id for sp, with NameID
// pseudonym, issued at now, as base64 of the HTTP-POST binding.
func signedResponse(t testing.TB, idp *crewjam.IdentityProvider, sp *crewjam.ServiceProvider, id, pseudonym string, now time.Time) string {
	t.Helper()
	spMD := sp.Metadata()
	req := &crewjam.IdpAuthnRequest{IDP: idp, Now: now, Request: crewjam.AuthnRequest{ID: id},
		HTTPRequest:             httptest.NewRequest("POST", "https://sesame.test/saml/sso", nil),
		ServiceProviderMetadata: spMD, SPSSODescriptor: &spMD.SPSSODescriptors[0],
		ACSEndpoint: &spMD.SPSSODescriptors[0].AssertionConsumerServices[0]}
	session := &crewjam.Session{ID: "s1", CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: pseudonym, NameIDFormat: string(crewjam.PersistentNameIDFormat), UserGivenName: "Eric", UserSurname: "MEDIATEUR-NUM"}
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, session); err != nil {
		t.Fatal(err)
	}
	if err := req.MakeResponse(); err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(req.ResponseEl)
	body, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(body)
}

// reencode applies edit to the XML of a base64 response.
func reencode(t testing.TB, raw string, edit func(string) string) string {
	t.Helper()
	body, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString([]byte(edit(string(body))))
}

// TestVerifyResponse: the demo vendor takes a signed answer to its own
// request for its own ACS, and nothing else.
func TestVerifyResponse(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	idp, other := testIdP(t, now), testIdP(t, now)
	v := New("https://vendor.test", make([]byte, 32), func() time.Time { return now }, rand.Reader, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sp := v.serviceProvider(idp.Metadata())
	good := signedResponse(t, idp, sp, "id-1", "pseudo-1", now)

	tests := []struct {
		name string
		raw  string
		ids  []string
		at   time.Time
		want string // "" accepts; otherwise in the error
	}{
		{"signed answer to this browser's request", good, []string{"id-0", "id-1"}, now, ""},
		{"answer to another request", good, []string{"id-2"}, now, "not a request of this browser"},
		{"NameID changed after signing", reencode(t, good, func(s string) string { return strings.ReplaceAll(s, "pseudo-1", "pseudo-2") }), []string{"id-1"}, now, "signature"},
		{"signed by another key", signedResponse(t, other, sp, "id-1", "pseudo-1", now), []string{"id-1"}, now, "signature"},
		{"too late", good, []string{"id-1"}, now.Add(time.Hour), "expired"},
		{"for another ACS", reencode(t, good, func(s string) string {
			return strings.Replace(s, `Destination="https://vendor.test`, `Destination="https://evil.test`, 1)
		}), []string{"id-1"}, now, "not this ACS"},
		{"not base64", "%%%", []string{"id-1"}, now, "base64"},
		{"not a response", base64.StdEncoding.EncodeToString([]byte("<a/>")), []string{"id-1"}, now, "samlp:Response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v.now = func() time.Time { return tt.at }
			a, err := v.verifyResponse(sp, tt.raw, tt.ids)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == "" && a.Subject.NameID.Value != "pseudo-1":
				t.Errorf("NameID %q, want pseudo-1", a.Subject.NameID.Value)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
