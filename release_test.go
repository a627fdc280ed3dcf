package sesame

import (
	"slices"
	"testing"
)

func TestConnectorReleased(t *testing.T) {
	names := []Attribute{AttributePseudonym, AttributeLastName, AttributeFirstName, AttributeLibrary, AttributeValidUntil}
	tests := []struct {
		name string
		c    Connector
		want []Attribute
	}{
		{"OpenID Connect", Connector{Kind: ConnectorOIDC}, names},
		{"OpenID Connect releasing the e-mail", Connector{Kind: ConnectorOIDC, OIDC: OIDCSettings{ReleaseEmail: true}}, append(slices.Clone(names), AttributeEmail)},
		{"CAS", Connector{Kind: ConnectorCAS}, names},
		{"CAS releasing the e-mail", Connector{Kind: ConnectorCAS, CAS: CASSettings{ReleaseEmail: true}}, append(slices.Clone(names), AttributeEmail)},
		{"CAS does not read the OIDC setting", Connector{Kind: ConnectorCAS, OIDC: OIDCSettings{ReleaseEmail: true}}, names},
		{"SAML by default", Connector{Kind: ConnectorSAML}, []Attribute{AttributePseudonym, AttributeLastName, AttributeFirstName, AttributeLibrary, AttributeValidUntil}},
		{"SAML chosen", Connector{Kind: ConnectorSAML, SAML: SAMLSettings{Attributes: []string{"email", "bibliotheque"}}}, []Attribute{AttributePseudonym, AttributeEmail, AttributeLibrary}},
		{"signed link: its fields", Connector{Kind: ConnectorSignedLink, Link: SignedLinkSettings{URL: "https://v.example/?id={card}&nom={lastname}&h={hash}", Signed: "{card}{birthyear}{secret}"}},
			[]Attribute{AttributeCard, AttributeLastName, AttributeBirthYear}},
		{"signed link with a callback token", Connector{Kind: ConnectorSignedLink, Link: SignedLinkSettings{URL: "https://v.example/?uid={uid}&t={token}"}},
			[]Attribute{AttributeUID, AttributeLastName, AttributeFirstName, AttributeEmail, AttributeLibrary, AttributeValidUntil}},
		{"SIP2", Connector{Kind: ConnectorSIP2}, []Attribute{AttributeLastName, AttributeFirstName, AttributeValidUntil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Released(); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, a := range []Attribute{AttributePseudonym, AttributeEmail, AttributeCard} {
				if got, want := tt.c.Releases(a), slices.Contains(tt.want, a); got != want {
					t.Errorf("Releases(%s): got %v, want %v", a, got, want)
				}
			}
		})
	}
}

// Every attribute a SAML connector may release is one the page can name.
func TestSAMLAttributesAreAttributes(t *testing.T) {
	for _, name := range SAMLAttributes {
		if a := Attribute(name); a.Label() == name {
			t.Errorf("SAML attribute %q has no label", name)
		}
	}
}
