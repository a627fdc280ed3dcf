package sesame_test

import (
	"errors"
	"testing"

	"github.com/bdf29/sesame"
)

func TestOIDCConnectorSigningAlgorithm(t *testing.T) {
	tests := []struct {
		alg    string
		wantOK bool
	}{
		{"", true}, {"RS256", true}, {"ES256", true},
		{"HS256", false}, {"none", false}, {"es256", false},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			c := sesame.Connector{ResourceID: 1, Kind: sesame.ConnectorOIDC, OIDC: sesame.OIDCSettings{
				ClientID: "vendor-a", RedirectURIs: []string{"https://vendor.example/cb"}, IDTokenSignedResponseAlg: tt.alg}}
			err := c.Validate()
			if got := err == nil; got != tt.wantOK {
				t.Fatalf("got %v, want ok %v", err, tt.wantOK)
			}
			var e *sesame.Error
			if !tt.wantOK && (!errors.As(err, &e) || e.Fields["id_token_signed_response_alg"] == "") {
				t.Errorf("got %v, want a message next to the algorithm's field", err)
			}
		})
	}
}
