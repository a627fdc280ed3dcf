package vendor

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/bdf29/sesame"
)

// serviceProvider is the vendor as a SAML service provider, crewjam's. It
// has no key: it signs no request and asks for no encryption, so that
// nothing of it needs keeping across restarts.
func (v *Vendor) serviceProvider(idp *crewjam.EntityDescriptor) *crewjam.ServiceProvider {
	md, _ := url.Parse(v.base + samlMDPath)
	acs, _ := url.Parse(v.base + samlACSPath)
	return &crewjam.ServiceProvider{
		EntityID: md.String(), MetadataURL: *md, AcsURL: *acs, IDPMetadata: idp,
		AuthnNameIDFormat:                crewjam.PersistentNameIDFormat,
		AssertionConsumerServiceBindings: []string{crewjam.HTTPPostBinding},
	}
}

// spMetadata is the service provider's metadata, as the SAML connector
// keeps it.
func (v *Vendor) spMetadata() string {
	body, err := xml.MarshalIndent(v.serviceProvider(nil).Metadata(), "", "  ")
	if err != nil {
		panic("the metadata of a service provider without key always marshals: " + err.Error())
	}
	return string(body)
}

func (v *Vendor) samlMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	io.WriteString(w, v.spMetadata())
}

// samlSP is the service provider with Sésame's metadata, downloaded from
// /saml/metadata on first use.
func (v *Vendor) samlSP(r *http.Request) (*crewjam.ServiceProvider, error) {
	v.mu.Lock()
	sp := v.sp
	v.mu.Unlock()
	if sp != nil {
		return sp, nil
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, v.base+"/saml/metadata", nil)
	if err != nil {
		return nil, err
	}
	res, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download the identity provider's metadata: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download the identity provider's metadata: status %d: %v", res.StatusCode, err)
	}
	var idp crewjam.EntityDescriptor
	if err := xml.Unmarshal(body, &idp); err != nil {
		return nil, fmt.Errorf("read the identity provider's metadata: %w", err)
	}
	sp = v.serviceProvider(&idp)
	v.mu.Lock()
	v.sp = sp
	v.mu.Unlock()
	return sp, nil
}

// samlStart sends an AuthnRequest to Sésame with the HTTP-Redirect binding,
// remembering its ID for this browser: the answer must be to it.
func (v *Vendor) samlStart(w http.ResponseWriter, r *http.Request) {
	sp, err := v.samlSP(r)
	if err != nil {
		v.refuse(w, sesame.ConnectorSAML, "Sésame ne répond pas comme fournisseur d'identité SAML.", err)
		return
	}
	req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(crewjam.HTTPRedirectBinding), crewjam.HTTPRedirectBinding, crewjam.HTTPPostBinding)
	if err != nil {
		v.refuse(w, sesame.ConnectorSAML, "Le fournisseur n'a pas pu préparer la demande SAML.", err)
		return
	}
	to, err := req.Redirect("", sp)
	if err != nil {
		v.refuse(w, sesame.ConnectorSAML, "Le fournisseur n'a pas pu préparer la demande SAML.", err)
		return
	}
	a, err := v.newAttempt(w, r)
	if err != nil {
		v.refuse(w, sesame.ConnectorSAML, "Le fournisseur n'a pas pu préparer la demande SAML.", err)
		return
	}
	v.mu.Lock()
	a.samlRequestIDs = append(a.samlRequestIDs, req.ID)
	v.mu.Unlock()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// samlACS is the assertion consumer service: verifyResponse checks the
// signed answer, its audience, its dates and that it answers a request of
// this browser's.
func (v *Vendor) samlACS(w http.ResponseWriter, r *http.Request) {
	sp, err := v.samlSP(r)
	if err != nil {
		v.refuse(w, sesame.ConnectorSAML, "Sésame ne répond pas comme fournisseur d'identité SAML.", err)
		return
	}
	if err := r.ParseForm(); err != nil {
		v.refuse(w, sesame.ConnectorSAML, "La réponse SAML est illisible.", err)
		return
	}
	var ids []string
	if a := v.pendingAttempt(r); a != nil {
		v.mu.Lock()
		ids = a.samlRequestIDs
		a.samlRequestIDs = nil // one answer per request
		v.mu.Unlock()
	}
	assertion, err := v.verifyResponse(sp, r.PostForm.Get("SAMLResponse"), ids)
	if err != nil {
		v.refuse(w, sesame.ConnectorSAML, "La réponse SAML n'a pas été acceptée.", err)
		return
	}
	attrs := []Attr{{Name: "NameID", Value: assertion.Subject.NameID.Value}}
	byFriendly := map[string]string{}
	for _, st := range assertion.AttributeStatements {
		for _, at := range st.Attributes {
			for _, val := range at.Values {
				name := at.Name
				if at.FriendlyName != "" && at.FriendlyName != at.Name {
					name = at.FriendlyName + " (" + at.Name + ")"
				}
				attrs = append(attrs, Attr{Name: name, Value: val.Value})
				byFriendly[at.FriendlyName] = val.Value
			}
		}
	}
	v.show(w, http.StatusOK, visit{Protocol: sesame.ConnectorSAML.Label(), Person: person(byFriendly["givenName"], byFriendly["sn"]),
		Sources: []Source{{Title: "Assertion SAML signée", Attrs: attrs}}})
}

// maxSAMLResponse bounds the answer the demo vendor reads.
const maxSAMLResponse = 256 << 10

// clockSkew is how far the vendor's clock may be from Sésame's.
const clockSkew = 2 * time.Minute

// verifyResponse checks the base64 SAMLResponse as a service provider
// must (SAML 2.0 profiles §4.1.4.3): the assertion signed by the key of
// Sésame's metadata, from its issuer, for this vendor's ACS and audience,
// in answer to one of ids, within its dates. crewjam's ParseResponse would
// do it, but GO-2026-6909 (a nil-pointer panic on a crafted answer, no fix
// released) makes it unfit for a page anyone can post to; the checks here
// are goxmldsig's signature validation and a few comparisons.
func (v *Vendor) verifyResponse(sp *crewjam.ServiceProvider, raw string, ids []string) (*crewjam.Assertion, error) {
	if len(raw) > maxSAMLResponse {
		return nil, errors.New("SAMLResponse too large")
	}
	body, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("SAMLResponse is not base64: %w", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(body); err != nil {
		return nil, fmt.Errorf("SAMLResponse is not XML: %w", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != samlpNS {
		return nil, errors.New("SAMLResponse is not a samlp:Response")
	}
	var resp crewjam.Response
	if err := xml.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("read the response: %w", err)
	}
	switch {
	case resp.Destination != sp.AcsURL.String():
		return nil, fmt.Errorf("response for %q, not this ACS", resp.Destination)
	case !slices.Contains(ids, resp.InResponseTo):
		return nil, fmt.Errorf("response to %q, not a request of this browser", resp.InResponseTo)
	case resp.Status.StatusCode.Value != crewjam.StatusSuccess:
		return nil, fmt.Errorf("status %s", resp.Status.StatusCode.Value)
	}
	var assertionEls []*etree.Element
	for _, el := range root.ChildElements() {
		if el.Tag == "Assertion" && el.NamespaceURI() == samlNS {
			assertionEls = append(assertionEls, el)
		}
	}
	if len(assertionEls) != 1 {
		return nil, fmt.Errorf("%d assertions, not one (an encrypted one is not asked for)", len(assertionEls))
	}
	certs, err := signingCertificates(sp.IDPMetadata)
	if err != nil {
		return nil, err
	}
	validator := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs})
	validator.Clock = dsig.NewFakeClockAt(v.now())
	signed, err := validator.Validate(assertionEls[0])
	if err != nil {
		return nil, fmt.Errorf("assertion signature: %w", err)
	}
	// Only what the signature covers is read from here on.
	signedDoc := etree.NewDocument()
	signedDoc.SetRoot(signed.Copy())
	signedBody, err := signedDoc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	var a crewjam.Assertion
	if err := xml.Unmarshal(signedBody, &a); err != nil {
		return nil, fmt.Errorf("read the assertion: %w", err)
	}
	now := v.now()
	switch {
	case a.Issuer.Value != sp.IDPMetadata.EntityID:
		return nil, fmt.Errorf("assertion issued by %q", a.Issuer.Value)
	case a.Subject == nil || a.Subject.NameID == nil || a.Subject.NameID.Value == "":
		return nil, errors.New("assertion without NameID")
	case a.Conditions == nil:
		return nil, errors.New("assertion without conditions")
	case now.Add(clockSkew).Before(a.Conditions.NotBefore):
		return nil, errors.New("assertion not yet valid")
	case !now.Add(-clockSkew).Before(a.Conditions.NotOnOrAfter):
		return nil, errors.New("assertion expired")
	case !slices.ContainsFunc(a.Conditions.AudienceRestrictions, func(ar crewjam.AudienceRestriction) bool {
		return ar.Audience.Value == sp.EntityID
	}):
		return nil, errors.New("assertion not for this audience")
	case !slices.ContainsFunc(a.Subject.SubjectConfirmations, func(sc crewjam.SubjectConfirmation) bool {
		d := sc.SubjectConfirmationData
		return sc.Method == "urn:oasis:names:tc:SAML:2.0:cm:bearer" && d != nil && d.Recipient == sp.AcsURL.String() &&
			d.InResponseTo == resp.InResponseTo && now.Add(-clockSkew).Before(d.NotOnOrAfter)
	}):
		return nil, errors.New("no bearer confirmation for this ACS and request")
	}
	return &a, nil
}

const (
	samlNS  = "urn:oasis:names:tc:SAML:2.0:assertion"
	samlpNS = "urn:oasis:names:tc:SAML:2.0:protocol"
)

// signingCertificates are the certificates of the identity provider's
// metadata that may sign.
func signingCertificates(idp *crewjam.EntityDescriptor) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, d := range idp.IDPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
				if err != nil {
					return nil, fmt.Errorf("identity provider certificate: %w", err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, fmt.Errorf("identity provider certificate: %w", err)
				}
				certs = append(certs, cert)
			}
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("no signing certificate in the identity provider's metadata")
	}
	return certs, nil
}
