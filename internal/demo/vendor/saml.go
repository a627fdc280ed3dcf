package vendor

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	crewjam "github.com/crewjam/saml"

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

// samlACS is the assertion consumer service: crewjam checks the signed
// answer, its audience, its dates and that it answers a request of this
// browser's.
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
	assertion, err := sp.ParseResponse(r, ids)
	if err != nil {
		// crewjam hides the reason from the page; the log keeps it.
		var ire *crewjam.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			err = ire.PrivateErr
		}
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
