package sesame

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// ConnectorKind says how Sésame vouches for a patron to a resource's vendor.
type ConnectorKind string

const (
	ConnectorOIDC       ConnectorKind = "oidc"        // Sésame is the OpenID provider
	ConnectorCAS        ConnectorKind = "cas"         // Sésame is the CAS server
	ConnectorSAML       ConnectorKind = "saml"        // Sésame is the SAML identity provider
	ConnectorSignedLink ConnectorKind = "signed-link" // a URL the vendor checks with a shared secret
	ConnectorSIP2       ConnectorKind = "sip2"        // the vendor asks Sésame's SIP2 server
)

// ConnectorKinds lists the kinds in the order the admin screens offer them.
var ConnectorKinds = []ConnectorKind{ConnectorOIDC, ConnectorCAS, ConnectorSAML, ConnectorSignedLink, ConnectorSIP2}

// Label is the kind as the admin screens show it.
func (k ConnectorKind) Label() string {
	switch k {
	case ConnectorOIDC:
		return "OpenID Connect"
	case ConnectorCAS:
		return "CAS"
	case ConnectorSAML:
		return "SAML 2.0"
	case ConnectorSignedLink:
		return "Lien signé"
	case ConnectorSIP2:
		return "SIP2"
	}
	return string(k)
}

// ParseConnectorKind reads a kind as typed on the command line or sent by a form.
func ParseConnectorKind(s string) (ConnectorKind, bool) {
	for _, k := range ConnectorKinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// Connector is one way into one resource. A resource may have several, one
// per vendor platform or protocol. Secret is held in clear only in memory:
// the store keeps it encrypted.
type Connector struct {
	ID         int64
	ResourceID int64
	Kind       ConnectorKind
	Secret     string // OIDC client secret, signed-link key; empty for public OIDC clients, CAS and SAML
	// SecretUnreadable is set when the stored secret cannot be opened with
	// this instance's SESAME_SECRET_KEY: the connector cannot be used.
	SecretUnreadable bool
	OIDC             OIDCSettings
	CAS              CASSettings
	SAML             SAMLSettings
	Link             SignedLinkSettings
	SIP2             SIP2Settings
	CreatedAt        time.Time
}

// OIDCSettings describe a vendor that is an OpenID Connect relying party.
type OIDCSettings struct {
	ClientID     string   `json:"client_id,omitempty"`
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// ReleaseEmail allows the e-mail claim, for a vendor whose contract needs it.
	ReleaseEmail bool `json:"release_email,omitempty"`
	// IDTokenSignedResponseAlg is the ID token's signature, as the vendor
	// registered it: "" or "RS256" (the default), or "ES256".
	IDTokenSignedResponseAlg string `json:"id_token_signed_response_alg,omitempty"`
}

// CASSettings describe a vendor that is a CAS client.
type CASSettings struct {
	// ServicePrefix is the URL prefix the vendor's service URLs start with:
	// scheme, host and port exactly, then a path prefix on a "/" boundary.
	ServicePrefix string `json:"service_prefix,omitempty"`
	// ReleaseEmail adds the e-mail to the CAS 3.0 attributes, for a vendor
	// whose contract needs it.
	ReleaseEmail bool `json:"release_email,omitempty"`
}

// SAMLSettings describe a vendor that is a SAML service provider.
type SAMLSettings struct {
	EntityID string `json:"entity_id,omitempty"`
	Metadata string `json:"metadata,omitempty"` // the SP's metadata XML
	// Attributes lists the attributes released to this SP, by the names of
	// SAMLAttributes; empty means SAMLDefaultAttributes.
	Attributes []string `json:"attributes,omitempty"`
	// Direct is « Connexion directe »: « Accéder » sends the patron to the
	// vendor with an unsolicited Response (IdP-initiated), in one click,
	// rather than to the resource's address, where the vendor would ask.
	Direct bool `json:"direct,omitempty"`
}

// SIP2Settings describe a vendor that checks patrons through Sésame's SIP2
// server: the account its SIP2 client logs in with (message 93). The
// password is kept as an argon2id hash only: Sésame checks it and never
// sends it anywhere, so it needs no way back to the clear text.
type SIP2Settings struct {
	Login        string `json:"login,omitempty"`
	PasswordHash string `json:"password_hash,omitempty"`
}

// MaxSIP2CredentialLength bounds the vendor's SIP2 login and password: a
// SIP2 field is a line of text, and no vendor needs more.
const MaxSIP2CredentialLength = 64

// MinSIP2PasswordLength keeps a vendor's SIP2 password out of guessing
// reach: unlike a patron's, nobody types it, so it can be long.
const MinSIP2PasswordLength = 12

// sip2FieldText reports whether s can travel in a SIP2 variable field:
// printable, without the "|" that ends a field, at most
// MaxSIP2CredentialLength bytes.
func sip2FieldText(s string) bool {
	return len(s) <= MaxSIP2CredentialLength && !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == '|' || r == 0x7f })
}

// CheckSIP2Password returns a French complaint about a vendor's SIP2
// password as typed, or "" when it will do.
func CheckSIP2Password(pw string) string {
	if len(pw) < MinSIP2PasswordLength || !sip2FieldText(pw) {
		return "Mot de passe SIP2 : de 12 à 64 caractères, sans « | » ni caractère de contrôle, tel que le fournisseur le saisira dans son client SIP2."
	}
	return ""
}

// SAMLAttributes are the attributes a SAML connector may release, by the
// names its settings use. The e-mail is never released by default: only to
// a vendor whose contract needs it.
var SAMLAttributes = []string{"nom", "prenom", "bibliotheque", "fin_validite", "email"}

// SAMLDefaultAttributes are released when a connector lists none: the
// names, the library code and the end of validity.
var SAMLDefaultAttributes = []string{"nom", "prenom", "bibliotheque", "fin_validite"}

// Released is the list of attributes this vendor receives.
func (s SAMLSettings) Released() []string {
	if len(s.Attributes) == 0 {
		return SAMLDefaultAttributes
	}
	return s.Attributes
}

// Label names the connector in lists: its kind and what identifies the vendor.
func (c *Connector) Label() string {
	switch c.Kind {
	case ConnectorOIDC:
		return c.Kind.Label() + " · " + c.OIDC.ClientID
	case ConnectorCAS:
		return c.Kind.Label() + " · " + c.CAS.ServicePrefix
	case ConnectorSAML:
		return c.Kind.Label() + " · " + c.SAML.EntityID
	case ConnectorSignedLink:
		return c.Kind.Label() + " · " + c.Link.Preset
	case ConnectorSIP2:
		return c.Kind.Label() + " · " + c.SIP2.Login
	}
	return c.Kind.Label()
}

// Address is where the vendor is, as the Connecteurs page shows it: the
// OpenID Connect return addresses, the CAS service prefix, the SAML
// entityID, the signed link's pattern.
func (c *Connector) Address() string {
	switch c.Kind {
	case ConnectorOIDC:
		return strings.Join(c.OIDC.RedirectURIs, " ")
	case ConnectorCAS:
		return c.CAS.ServicePrefix
	case ConnectorSAML:
		return c.SAML.EntityID
	case ConnectorSignedLink:
		return c.Link.URL
	case ConnectorSIP2:
		return "Identifiant SIP2 : " + c.SIP2.Login
	}
	return ""
}

// MaskedSecret is what screens show of a secret once it is saved: never
// more than its last four characters.
func (c *Connector) MaskedSecret() string {
	if c.SecretUnreadable {
		return "illisible avec la clé SESAME_SECRET_KEY actuelle"
	}
	if c.Secret == "" {
		return ""
	}
	if len(c.Secret) < 16 {
		return "••••"
	}
	return "••••" + c.Secret[len(c.Secret)-4:]
}

// Validate checks a connector before it is saved, with French messages keyed
// by form field.
func (c *Connector) Validate() error {
	errs := FieldErrors{}
	if c.ResourceID == 0 {
		errs.Add("resource", "Ressource : choisissez la ressource que ce connecteur ouvre.")
	}
	switch c.Kind {
	case ConnectorOIDC:
		if c.OIDC.ClientID == "" || len(c.OIDC.ClientID) > 200 || strings.ContainsAny(c.OIDC.ClientID, " \t\r\n") {
			errs.Add("client_id", "Identifiant client : obligatoire, 200 caractères au plus, sans espace.")
		}
		if len(c.OIDC.RedirectURIs) == 0 {
			errs.Add("redirect_uris", "Adresses de retour : donnez au moins une adresse (redirect_uri).")
		}
		for _, u := range c.OIDC.RedirectURIs {
			if msg := checkAbsoluteURL(u); msg != "" {
				errs.Add("redirect_uris", "Adresses de retour : « "+u+" » "+msg)
				break
			}
		}
		if a := c.OIDC.IDTokenSignedResponseAlg; a != "" && a != "RS256" && a != "ES256" {
			errs.Add("id_token_signed_response_alg", "Signature du jeton d'identité : RS256 ou ES256.")
		}
	case ConnectorCAS:
		if msg := checkAbsoluteURL(c.CAS.ServicePrefix); msg != "" {
			errs.Add("service_prefix", "Préfixe du service : "+msg)
		} else if u, _ := url.Parse(c.CAS.ServicePrefix); strings.Contains(c.CAS.ServicePrefix, "?") || u.User != nil {
			// The CAS server matches scheme, host and path only.
			errs.Add("service_prefix", "Préfixe du service : donnez le début de l'adresse jusqu'au chemin, sans paramètres (?…) ni identifiant (…@).")
		}
	case ConnectorSAML:
		if c.SAML.EntityID == "" {
			errs.Add("metadata", "Métadonnées : donnez les métadonnées SAML du fournisseur de service (entityID introuvable).")
		}
		for _, a := range c.SAML.Attributes {
			if !slices.Contains(SAMLAttributes, a) {
				errs.Add("attributes", "Attributs transmis : « "+a+" » est inconnu. Possibles : "+strings.Join(SAMLAttributes, ", ")+".")
				break
			}
		}
	case ConnectorSignedLink:
		for field, msg := range c.Link.Check() {
			errs.Add(field, msg)
		}
		if len(c.Secret) < 8 {
			errs.Add("secret", "Clé secrète : 8 caractères au moins, telle que le fournisseur l'a donnée.")
		}
	case ConnectorSIP2:
		if c.SIP2.Login == "" || strings.ContainsRune(c.SIP2.Login, ' ') || !sip2FieldText(c.SIP2.Login) {
			errs.Add("sip_login", "Identifiant SIP2 : obligatoire, 64 caractères au plus, sans espace, « | » ni caractère de contrôle.")
		}
		if c.SIP2.PasswordHash == "" {
			errs.Add("sip_password", "Mot de passe SIP2 : obligatoire, de 12 à 64 caractères.")
		}
		if c.Secret != "" {
			errs.Add("secret", "Clé secrète : un connecteur SIP2 n'en a pas ; le fournisseur se connecte avec son identifiant et son mot de passe SIP2.")
		}
	default:
		errs.Add("kind", "Type : choisissez OpenID Connect, CAS, SAML 2.0, lien signé ou SIP2.")
	}
	return errs.Err()
}

// checkAbsoluteURL returns a French complaint, or "" for an http(s) URL
// with a host.
func checkAbsoluteURL(s string) string {
	u, ok := parseHTTPURL(s)
	if !ok {
		return "doit être une adresse complète commençant par https://."
	}
	if u.Fragment != "" {
		return "ne doit pas contenir de fragment (#…)."
	}
	return ""
}

// parseHTTPURL parses s as the absolute address a vendor gives us: http or
// https, with a host name. "https://:443/" has a port but no host to reach.
func parseHTTPURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return nil, false
	}
	return u, true
}

// ConnectorFailureReason says why a patron sent to a vendor through a
// connector did not get there. The Connecteurs page words it (Label).
type ConnectorFailureReason string

const (
	// FailureSecretUnreadable: the connector's secret cannot be opened with
	// this instance's SESAME_SECRET_KEY (missing or changed key).
	FailureSecretUnreadable ConnectorFailureReason = "cle_illisible" // #nosec G101 -- a failure reason's code, no credential
	// FailureAccessRefused: the gate refused the patron (account not
	// validated or ended, resource not activated).
	FailureAccessRefused ConnectorFailureReason = "acces_refuse"
	// FailureBroken: the connector's settings do not give a working answer
	// (a link that cannot be built, an answer that cannot be signed).
	FailureBroken ConnectorFailureReason = "connecteur_en_erreur"
)

// Label is the reason as the Connecteurs page shows it.
func (r ConnectorFailureReason) Label() string {
	switch r {
	case FailureSecretUnreadable:
		return "Clé secrète illisible"
	case FailureAccessRefused:
		return "Accès refusé à l'usager"
	case FailureBroken:
		return "Connecteur en erreur"
	}
	return string(r)
}

// ConnectorFailure is one failed access through a connector. Detail says
// more, in French, without the patron's name.
type ConnectorFailure struct {
	ConnectorID int64
	At          time.Time
	Reason      ConnectorFailureReason
	Detail      string
}
