package saml_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/saml"
	"github.com/bdf29/sesame/internal/store"
)

const spMetadata = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://vendeur.example/saml">
  <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:%s" Location="https://vendeur.example/acs" index="1"/>
  </SPSSODescriptor>
</EntityDescriptor>`

func TestReadMetadata(t *testing.T) {
	tests := []struct {
		name, body, wantEntity, wantErr string
	}{
		{"an SP with an HTTP-POST ACS", strings.Replace(spMetadata, "%s", "HTTP-POST", 1), "https://vendeur.example/saml", ""},
		{"artifact only", strings.Replace(spMetadata, "%s", "HTTP-Artifact", 1), "", "HTTP-POST"},
		{"not XML", "bonjour", "", "XML"},
		{"a federation's aggregate", `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`, "", "EntityDescriptor"},
		{"no entityID", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`, "", "entityID"},
		{"another namespace", `<EntityDescriptor entityID="x"/>`, "", "EntityDescriptor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := saml.ReadMetadata([]byte(tt.body))
			if tt.wantErr != "" {
				if sesame.ErrorCode(err) != sesame.EInvalid || !strings.Contains(sesame.ErrorMessage(err), tt.wantErr) {
					t.Errorf("got %v, want EInvalid mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.EntityID != tt.wantEntity || got.Metadata != tt.body {
				t.Errorf("got %+v, %v; want entityID %q and the document kept", got, err, tt.wantEntity)
			}
		})
	}
}

func TestNeedsLogin(t *testing.T) {
	received := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		force        bool
		loggedIn     bool
		sessionStart time.Time
		want         bool
	}{
		{"nobody logged in", false, false, time.Time{}, true},
		{"logged in", false, true, received.Add(-time.Hour), false},
		{"ForceAuthn, session older than the request", true, true, received.Add(-time.Minute), true},
		{"ForceAuthn, logged in since the request", true, true, received.Add(time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pd := &saml.Pending{Request: store.SAMLRequest{ForceAuthn: tt.force, ReceivedAt: received}}
			if got := pd.NeedsLogin(tt.loggedIn, tt.sessionStart); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
