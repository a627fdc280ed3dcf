package sesame

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// « État des connecteurs »: what the network admin is told of each
// connector, and when they are warned. The rules are here; the store reads
// the launches and failures, the page and the daily job ask
// ConnectorHealthOf.

// RepeatedFailures is how many of a connector's own failures within
// RepeatedFailuresWindow, with no successful launch since the first of
// them, make it « en échec répété ».
const (
	RepeatedFailures       = 5
	RepeatedFailuresWindow = 24 * time.Hour
)

// CertificateWarningDays is how long before a SAML service provider's
// certificate ends that the admin is warned.
const CertificateWarningDays = 30

// ConnectorFault reports whether a failure is the connector's: a secret
// that cannot be opened or settings that give no working answer. A patron
// the gate refused is no sign of a broken connector.
func (r ConnectorFailureReason) ConnectorFault() bool {
	return r == FailureSecretUnreadable || r == FailureBroken
}

// ConnectorCheck is one of a connector's own checks, as the test button
// shows it: what was checked, whether it passed, and why not, in French.
type ConnectorCheck struct {
	Name   string
	OK     bool
	Detail string
}

// Checks runs the connector's own checks at now, without calling the vendor:
// its settings are complete, its key is present and readable, its link
// template gives a link, its SAML metadata can be read (with its certificate
// still valid), its addresses are well formed.
func (c *Connector) Checks(now time.Time) []ConnectorCheck {
	var out []ConnectorCheck
	add := func(name, problem, fine string) {
		out = append(out, ConnectorCheck{Name: name, OK: problem == "", Detail: cmpOr(problem, fine)})
	}
	settings := ""
	if err := c.Validate(); err != nil {
		settings = ErrorMessage(err)
	}
	add("Réglages", settings, "Les réglages sont complets.")
	switch c.Kind {
	case ConnectorOIDC:
		add("Clé secrète", c.keyProblem(false), "Client confidentiel : la clé est lisible, ou client public sans clé.")
		add("Adresses de retour", c.urlProblem(c.OIDC.RedirectURIs...), "Chaque adresse de retour est une adresse complète, sans fragment.")
	case ConnectorCAS:
		add("Préfixe du service", c.urlProblem(c.CAS.ServicePrefix), "Le préfixe du service est une adresse complète.")
	case ConnectorSAML:
		meta, err := c.SAMLMetadata()
		problem := ""
		if err != nil {
			problem = err.Error()
		}
		add("Métadonnées SAML", problem, "Les métadonnées se lisent : entityID et adresse de retour (ACS) présents.")
		if err == nil {
			add("Adresses de retour (ACS)", c.urlProblem(meta.ACS...), "Chaque adresse de retour (ACS) est une adresse complète.")
			add("Certificat du fournisseur de service", meta.certificateProblem(now), meta.certificateFine())
		}
	case ConnectorSignedLink:
		add("Clé secrète", c.keyProblem(true), "La clé secrète est présente et lisible.")
		add("Modèle du lien", c.linkProblem(now), "Le modèle donne un lien signé pour un usager d'essai.")
	case ConnectorSIP2:
		problem := ""
		if c.SIP2.PasswordHash == "" {
			problem = "Aucun mot de passe SIP2 n'est enregistré : le fournisseur ne peut pas se connecter."
		}
		add("Mot de passe SIP2", problem, "Le mot de passe SIP2 est enregistré (haché).")
	}
	return out
}

// cmpOr is the first of its arguments that is not empty.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// keyProblem says what is wrong with the connector's secret, "" if nothing;
// required says whether the kind needs one.
func (c *Connector) keyProblem(required bool) string {
	switch {
	case c.SecretUnreadable:
		return "La clé secrète enregistrée ne s'ouvre pas avec la clé SESAME_SECRET_KEY de cette instance : saisissez-la à nouveau, ou rétablissez la clé SESAME_SECRET_KEY d'origine."
	case required && c.Secret == "":
		return "Aucune clé secrète n'est enregistrée."
	}
	return ""
}

// urlProblem says which address is not a complete http(s) address.
func (c *Connector) urlProblem(urls ...string) string {
	if len(urls) == 0 {
		return "Aucune adresse n'est donnée."
	}
	for _, u := range urls {
		if msg := checkAbsoluteURL(u); msg != "" {
			return "« " + u + " » " + msg
		}
	}
	return ""
}

// linkProblem builds the signed link for a patron of trial, as at a launch.
func (c *Connector) linkProblem(now time.Time) string {
	for _, msg := range c.Link.Check() {
		return "Modèle du lien : " + msg
	}
	if c.SecretUnreadable || c.Secret == "" {
		return "Le lien ne peut pas être signé sans clé secrète lisible."
	}
	_, err := c.Link.Build(LinkFields{Card: "ESSAI-0001", UID: "essai", Email: "essai@example.org", LastName: "ESSAI", FirstName: "Usager",
		BirthYear: "1980", Library: "ESSAI", Time: now, Token: "essai"}, c.Secret)
	if err != nil {
		return "Le lien ne se construit pas : " + err.Error()
	}
	return ""
}

// SAMLMetadata is what the health page reads from a service provider's
// metadata: its return addresses and the end of each of its certificates.
type SAMLMetadata struct {
	EntityID     string
	ACS          []string
	Certificates []*x509.Certificate
}

// samlEntity is the part of an EntityDescriptor the checks read; names are
// matched whatever their namespace prefix.
type samlEntity struct {
	EntityID string `xml:"entityID,attr"`
	SP       []struct {
		Keys []struct {
			Use   string   `xml:"use,attr"`
			Certs []string `xml:"KeyInfo>X509Data>X509Certificate"`
		} `xml:"KeyDescriptor"`
		ACS []struct {
			Location string `xml:"Location,attr"`
		} `xml:"AssertionConsumerService"`
	} `xml:"SPSSODescriptor"`
}

// SAMLMetadata reads the connector's SP metadata, with a French error
// saying what is missing or unreadable.
func (c *Connector) SAMLMetadata() (SAMLMetadata, error) {
	var e samlEntity
	if err := xml.Unmarshal([]byte(c.SAML.Metadata), &e); err != nil {
		return SAMLMetadata{}, fmt.Errorf("les métadonnées ne sont pas un XML lisible (%v)", err)
	}
	if e.EntityID == "" {
		return SAMLMetadata{}, fmt.Errorf("les métadonnées ne donnent pas d'entityID")
	}
	if len(e.SP) == 0 {
		return SAMLMetadata{}, fmt.Errorf("les métadonnées ne décrivent pas de fournisseur de service (SPSSODescriptor)")
	}
	m := SAMLMetadata{EntityID: e.EntityID}
	for _, sp := range e.SP {
		for _, a := range sp.ACS {
			m.ACS = append(m.ACS, strings.TrimSpace(a.Location))
		}
		for _, k := range sp.Keys {
			for _, pem := range k.Certs {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(pem), ""))
				if err != nil {
					return SAMLMetadata{}, fmt.Errorf("un certificat des métadonnées n'est pas en base 64 (%v)", err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return SAMLMetadata{}, fmt.Errorf("un certificat des métadonnées est illisible (%v)", err)
				}
				m.Certificates = append(m.Certificates, cert)
			}
		}
	}
	if len(m.ACS) == 0 {
		return SAMLMetadata{}, fmt.Errorf("les métadonnées ne donnent aucune adresse de retour (AssertionConsumerService)")
	}
	return m, nil
}

// CertificateEnd is when the first of the SP's certificates ends; zero
// when the metadata carry none.
func (m SAMLMetadata) CertificateEnd() time.Time {
	var end time.Time
	for _, c := range m.Certificates {
		if end.IsZero() || c.NotAfter.Before(end) {
			end = c.NotAfter
		}
	}
	return end
}

func (m SAMLMetadata) certificateProblem(now time.Time) string {
	if end := m.CertificateEnd(); !end.IsZero() && !now.Before(end) {
		return "Le certificat a pris fin le " + end.Format("02/01/2006") + " : demandez au fournisseur ses nouvelles métadonnées."
	}
	return ""
}

func (m SAMLMetadata) certificateFine() string {
	if end := m.CertificateEnd(); !end.IsZero() {
		return "Le certificat est valable jusqu'au " + end.Format("02/01/2006") + "."
	}
	return "Les métadonnées ne donnent pas de certificat : les requêtes du fournisseur ne sont pas signées."
}

// ConnectorWarning is why a connector is flagged on the admin's home page
// and mailed to the network once per episode.
type ConnectorWarning string

const (
	WarnRepeatedFailures  ConnectorWarning = "echecs"
	WarnCertificateEnding ConnectorWarning = "certificat"
)

// ConnectorHealth is one connector's state as « État des connecteurs » shows it.
type ConnectorHealth struct {
	Connector   *Connector
	LastSuccess time.Time         // the last launch kept; zero if none
	LastFailure *ConnectorFailure // the last failure kept, whatever its reason
	// RecentFaults counts the connector's own failures (ConnectorFault)
	// within RepeatedFailuresWindow and after LastSuccess.
	RecentFaults int
	// CertificateEnd is when the SAML SP's first certificate ends; zero
	// when there is none or the metadata cannot be read.
	CertificateEnd   time.Time
	CertificateEnded bool // CertificateEnd is past
	Warnings         []ConnectorWarning
}

// ConnectorHealthOf judges connector c at now from its last successful
// launch and its failures kept, newest first.
func ConnectorHealthOf(c *Connector, lastSuccess time.Time, failures []ConnectorFailure, now time.Time) ConnectorHealth {
	h := ConnectorHealth{Connector: c, LastSuccess: lastSuccess}
	if len(failures) > 0 {
		h.LastFailure = &failures[0]
	}
	since := now.Add(-RepeatedFailuresWindow)
	for _, f := range failures {
		if f.Reason.ConnectorFault() && f.At.After(since) && f.At.After(lastSuccess) {
			h.RecentFaults++
		}
	}
	if h.RecentFaults >= RepeatedFailures {
		h.Warnings = append(h.Warnings, WarnRepeatedFailures)
	}
	if c.Kind == ConnectorSAML {
		if m, err := c.SAMLMetadata(); err == nil {
			h.CertificateEnd = m.CertificateEnd()
		}
		h.CertificateEnded = !h.CertificateEnd.IsZero() && !now.Before(h.CertificateEnd)
		if !h.CertificateEnd.IsZero() && h.CertificateEnd.Before(now.AddDate(0, 0, CertificateWarningDays)) {
			h.Warnings = append(h.Warnings, WarnCertificateEnding)
		}
	}
	return h
}

// Episode tells one episode of warning w from the next: a certificate
// warning is about one certificate's end, so new metadata whose certificate
// also ends soon are mailed again; failures are one episode until they stop.
func (h ConnectorHealth) Episode(w ConnectorWarning) string {
	if w == WarnCertificateEnding {
		return h.CertificateEnd.UTC().Format(time.RFC3339)
	}
	return ""
}

// WarningText is warning w about this connector, in French, for the admin's
// home page and the mail.
func (h ConnectorHealth) WarningText(w ConnectorWarning) string {
	switch w {
	case WarnRepeatedFailures:
		return fmt.Sprintf("%d échecs du connecteur en 24 heures, sans accès réussi depuis.", h.RecentFaults)
	case WarnCertificateEnding:
		verb := "prend fin"
		if h.CertificateEnded {
			verb = "a pris fin"
		}
		return "Le certificat du fournisseur de service " + verb + " le " + h.CertificateEnd.Format("02/01/2006") + " : demandez-lui ses nouvelles métadonnées."
	}
	return string(w)
}
