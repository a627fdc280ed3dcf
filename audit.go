package sesame

// AuditAction names an event of the audit trail. The values are what the
// audit_events.action column has always held: the history pages show them
// and the statistics count some of them, so a value never changes once
// written.
type AuditAction string

// The account events the statistics count (internal/store/stats.go).
const (
	ActionRegistration AuditAction = "creation"     // a new account, made by a confirmed registration or by staff
	ActionValidation   AuditAction = "validation"   // À valider (or Refusé) → Validé: ChangeValidated
	ActionRefusal      AuditAction = "refus"        // À valider or À revalider → Refusé: ChangeRefused
	ActionRenewal      AuditAction = "revalidation" // ChangeRenewed
	ActionExpiry       AuditAction = "expiration"   // Validé → Expiré: ChangeExpired
)

// The other events of a patron's history.
const (
	// ActionStatus is a save of the Statut tab that is none of the counted
	// decisions: an end date moved back, a refusal's reason corrected.
	ActionStatus         AuditAction = "statut"
	ActionRenewalRequest AuditAction = "renouvellement" // Expiré → À revalider, by the holder
	ActionInformation    AuditAction = "informations"   // the Informations tab, or « Mon compte »
	ActionResources      AuditAction = "ressources"     // grants asked for, validated or refused
	ActionPassword       AuditAction = "mot de passe"   // #nosec G101 -- an audit action's name (a patron's password changed or reset), no credential
	ActionConfirmation   AuditAction = "confirmation"   // a self-registration confirmed
	ActionDeletion       AuditAction = "suppression"    // an account deleted
	ActionReminder       AuditAction = "rappel"         // a reminder before (or after) the end of validity, mailed to the holder
)

// The events of the network's administration and of staff.
const (
	ActionLogin     AuditAction = "connexion"
	ActionStaff     AuditAction = "personnel"
	ActionNetwork   AuditAction = "reseau"
	ActionLibrary   AuditAction = "bibliotheque"
	ActionResource  AuditAction = "ressource"
	ActionConnector AuditAction = "connecteur"
	ActionImport    AuditAction = "import"
	ActionJob       AuditAction = "tache"
	ActionAPIKey    AuditAction = "cle d'api" // #nosec G101 -- an audit action's name (an API key created or revoked), no credential
)
