package notify

// ConnectorAlert is alerte-connecteur.tmpl's: to the network's contact
// address, once per episode, a connector that fails repeatedly or whose
// certificate ends soon (sesame.ConnectorHealth.Warnings).
type ConnectorAlert struct {
	Network   string
	Connector string // "n° 3 (SAML 2.0) de PressReader"
	Warning   string // sesame.ConnectorHealth.WarningText
	StatusURL string // « État des connecteurs »
}
