package access

import (
	"context"
	"log/slog"

	"github.com/bdf29/sesame"
)

// Failed leaves the trace of a patron who did not reach a vendor through
// connector c, whichever way they came (launch, OpenID Connect, CAS,
// SAML): a log line with the reason, for the operator, and a row the
// Connecteurs page lists, for the network admin; the store keeps the last
// few per connector only (store.ConnectorFailuresKept). err is what went
// wrong: for a refusal, the gate's, whose reason is worded without the
// patron's name. patronID is 0 when no patron is known.
func (g *Gate) Failed(ctx context.Context, c *sesame.Connector, patronID int64, reason sesame.ConnectorFailureReason, err error) {
	log := g.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log.Warn("accès au fournisseur en échec", "connector", c.ID, "kind", string(c.Kind), "resource", c.ResourceID,
		"patron", patronID, "reason", string(reason), "err", err)
	f := sesame.ConnectorFailure{ConnectorID: c.ID, At: g.Now(), Reason: reason, Detail: failureDetail(reason, err)}
	if rerr := g.Store.RecordConnectorFailure(ctx, f); rerr != nil {
		// The patron's page matters more than the trace: say so and go on.
		log.Error("trace de l'échec du connecteur non enregistrée", "connector", c.ID, "err", rerr)
	}
}

// failureDetail is what the network admin reads about a failure: the
// refusal's reason, the connector's own French message, never an internal
// error's text, which stays in the log.
func failureDetail(reason sesame.ConnectorFailureReason, err error) string {
	switch {
	case reason == sesame.FailureAccessRefused:
		return "Motif : " + sesame.AccessReasonOf(err).StaffLabel() + "."
	case reason == sesame.FailureSecretUnreadable:
		return "La clé secrète ne s'ouvre pas avec la clé SESAME_SECRET_KEY de cette instance : retapez la clé secrète du connecteur."
	case sesame.ErrorCode(err) == sesame.EInternal:
		return "Erreur interne : le détail est dans le journal du serveur."
	}
	return sesame.ErrorMessage(err)
}
