package web

import (
	"net/http"

	"github.com/bdf29/sesame/internal/api"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/cas"
	"github.com/bdf29/sesame/internal/reminders"
)

// route is one line of the site's table: a pattern, who may use it, and its handler.
type route struct {
	pattern string
	perm    auth.Permission
	handle  http.HandlerFunc
}

// routes is the one table of the site. Every route declares its permission;
// a test walks it.
func (s *Server) routes() []route {
	return []route{
		{"GET /{$}", auth.Public, s.home},
		{"GET /static/{name}", auth.Public, s.static},
		{"GET /healthz", auth.Public, s.healthz},
		{"GET /readyz", auth.Public, s.readyz},
		// The scraper's token, not a session, opens it (metrics.go).
		{"GET /metrics", auth.Public, s.metricsPage},
		{"/", auth.Public, s.notFound},
		{"GET /connexion", auth.Public, s.loginForm},
		{"POST /connexion", auth.Public, s.login},
		{"POST /deconnexion", auth.Public, s.logout},
		{"POST /connexion/usager", auth.Public, s.patronLogin},
		{"GET " + verifyPath, auth.Public, s.verifyForm},
		{"POST " + verifyPath, auth.Public, s.verify},
		{"GET " + mfaPath, auth.LibraryStaff, s.mfaShow},
		{"POST " + mfaPath, auth.LibraryStaff, s.mfaEnable},
		{"POST " + mfaPath + "/desactiver", auth.LibraryStaff, s.mfaDisable},
		{"POST " + mfaPath + "/codes-de-secours", auth.LibraryStaff, s.mfaNewRecoveryCodes},
		{"GET /mot-de-passe-oublie", auth.Public, s.forgotForm},
		{"POST /mot-de-passe-oublie", auth.Public, s.forgot},
		{"GET /mot-de-passe/{token}", auth.Public, s.newPasswordForm},
		{"POST /mot-de-passe/{token}", auth.Public, s.newPassword},
		{"GET /inscription", auth.Public, s.registrationForm},
		{"POST /inscription", auth.Public, s.register},
		{"GET /inscription/confirmer/{token}", auth.Public, s.confirmRegistrationForm},
		{"POST /inscription/confirmer/{token}", auth.Public, s.confirmRegistration},
		{"GET /inscription/accord/{token}", auth.Public, s.parentalConsentForm},
		{"POST /inscription/accord/{token}", auth.Public, s.parentalConsent},
		{"GET " + consentAgainPath + "{token}", auth.Public, s.consentAgainForm},
		{"POST " + consentAgainPath + "{token}", auth.Public, s.consentAgain},
		{"POST " + consentAgainPath + "{token}/nouveau-lien", auth.Public, s.consentAgainRenew},
		{"GET /inscription/renvoyer", auth.Public, s.resendForm},
		{"POST /inscription/renvoyer", auth.Public, s.resend},
		{"GET /mon-compte", auth.Patron, s.myAccount},
		{"GET " + reminders.RenewPath, auth.Patron, s.renewalPage},
		{"POST " + reminders.RenewPath, auth.Patron, s.requestRenewal},
		{"GET /mon-compte/donnees", auth.Patron, s.myDataDownload},
		{"GET /mon-compte/fournisseurs", auth.Patron, s.myVendors},
		{"GET /mon-compte/supprimer", auth.Patron, s.myAccountDeleteForm},
		{"POST /mon-compte/supprimer", auth.Patron, s.myAccountDelete},
		{"GET /mon-compte/informations", auth.Patron, s.myInfoForm},
		{"POST /mon-compte/informations", auth.Patron, s.myInfoSave},
		{"GET /mon-compte/changer-adresse-ou-bibliotheque", auth.Patron, s.myAddressHelp},
		{"GET /mon-compte/mot-de-passe", auth.Patron, s.myPasswordForm},
		{"POST /mon-compte/mot-de-passe", auth.Patron, s.myPasswordSave},
		{"POST /mon-compte/ressources", auth.Patron, s.myResourcesRequest},
		{"POST " + patronKeepAlivePath, auth.Patron, s.keepPatronSession},
		{"POST /acceder/{slug}", auth.Patron, s.launch},
		{"GET /api/v1/sso/check", auth.Public, s.ssoCheck},
		// The JSON API (internal/api) for the library systems' nightly
		// jobs: a library's key opens it, not a session; it is served
		// outside the session and CSRF middleware (api_mount.go), and
		// openapi.json needs no key.
		{api.LibrariesPath, auth.APIKey, s.api},
		{api.OpenAPIPath, auth.APIKey, s.api},
		{"GET /.well-known/openid-configuration", auth.Public, s.oidcProtocol},
		{"GET /oauth/authorize", auth.Public, s.oidcAuthorize},
		{"GET /oauth/login", auth.Public, s.oidcLogin},
		{"POST /oauth/token", auth.Public, s.oidcProtocol},
		{"GET /oauth/userinfo", auth.Public, s.oidcProtocol},
		{"POST /oauth/userinfo", auth.Public, s.oidcProtocol},
		{"GET /oauth/keys", auth.Public, s.oidcProtocol},
		{"POST /oauth/revoke", auth.Public, s.oidcProtocol},
		{"GET /saml/metadata", auth.Public, s.samlMetadata},
		{"GET /saml/sso", auth.Public, s.samlSSO},
		{"POST /saml/sso", auth.Public, s.samlSSO},
		{"GET /saml/continue", auth.Public, s.samlContinue},
		{"GET /saml/slo", auth.Public, s.samlSLO},
		// The CAS server: public, each handler decides with the patron's session.
		{"GET /cas/login", auth.Public, s.casLogin},
		{"GET /cas/logout", auth.Public, s.casLogout},
		{"GET /cas/validate", auth.Public, s.casValidation(cas.Validate)},
		{"GET /cas/serviceValidate", auth.Public, s.casValidation(cas.ServiceValidate)},
		{"GET /cas/proxyValidate", auth.Public, s.casValidation(cas.ProxyValidate)},
		{"GET /cas/p3/serviceValidate", auth.Public, s.casValidation(cas.P3ServiceValidate)},
		{"GET /cas/p3/proxyValidate", auth.Public, s.casValidation(cas.P3ProxyValidate)},
		{"GET /donnees-personnelles", auth.Public, s.privacyNotice},
		{"GET /accessibilite", auth.Public, s.accessibilityStatement},
		{"GET /mentions-legales", auth.Public, s.legalNotice},

		{"POST " + staffKeepAlivePath, auth.LibraryStaff, s.keepStaffSession},
		{"GET /abonnes", auth.LibraryStaff, s.patronList},
		{"GET /abonnes/a-traiter", auth.LibraryStaff, s.patronTodo},
		{"POST /abonnes/selection", auth.LibraryStaff, s.patronBulk},
		{"GET /abonnes/export.csv", auth.LibraryStaff, s.patronExport(exportCSV, false)},
		{"GET /abonnes/export.xlsx", auth.LibraryStaff, s.patronExport(exportXLSX, false)},
		{"GET /abonnes/a-traiter/export.csv", auth.LibraryStaff, s.patronExport(exportCSV, true)},
		{"GET /abonnes/a-traiter/export.xlsx", auth.LibraryStaff, s.patronExport(exportXLSX, true)},
		// « Importer depuis le SIGB » (library_import.go): a library imports
		// for itself, the network admin a file of all libraries. The
		// progress and report sit one level deeper than /abonnes/{id}/…,
		// with which /abonnes/import/{id} would conflict.
		{"GET /abonnes/import", auth.LibraryStaff, s.importForm},
		{"POST /abonnes/import", auth.LibraryStaff, s.importUpload},
		{"POST /abonnes/import/appliquer", auth.LibraryStaff, s.importApply},
		{"GET /abonnes/import/{id}/suivi", auth.LibraryStaff, s.importProgress},
		{"GET /abonnes/import/{id}/rapport.csv", auth.LibraryStaff, s.importReport},
		{"GET /abonnes/{id}", auth.LibraryStaff, s.patronInfo},
		{"POST /abonnes/{id}", auth.LibraryStaff, s.patronInfoSave},
		{"GET /abonnes/{id}/statut", auth.LibraryStaff, s.patronStatus},
		{"POST /abonnes/{id}/statut", auth.LibraryStaff, s.patronStatusSave},
		{"GET /abonnes/{id}/ressources", auth.LibraryStaff, s.patronResources},
		{"POST /abonnes/{id}/ressources", auth.LibraryStaff, s.patronResourcesSave},
		{"GET /abonnes/{id}/supprimer", auth.NetworkAdmin, s.patronDeleteForm},
		{"POST /abonnes/{id}/supprimer", auth.NetworkAdmin, s.patronDelete},
		{"GET /admin", auth.NetworkAdmin, s.adminHome},
		{"GET /admin/bibliotheques", auth.NetworkAdmin, s.libraryForms().listed(s)},
		{"GET /admin/bibliotheques/nouvelle", auth.NetworkAdmin, s.libraryForms().blankForm(s)},
		{"POST /admin/bibliotheques/nouvelle", auth.NetworkAdmin, s.libraryForms().created(s)},
		{"GET /admin/bibliotheques/{id}", auth.NetworkAdmin, s.libraryForms().edit(s)},
		{"POST /admin/bibliotheques/{id}", auth.NetworkAdmin, s.libraryForms().updated(s)},
		{"GET /admin/ressources", auth.NetworkAdmin, s.resourceForms().listed(s)},
		{"GET /admin/ressources/nouvelle", auth.NetworkAdmin, s.resourceForms().blankForm(s)},
		{"POST /admin/ressources/nouvelle", auth.NetworkAdmin, s.resourceForms().created(s)},
		{"GET /admin/ressources/{id}", auth.NetworkAdmin, s.resourceForms().edit(s)},
		{"POST /admin/ressources/{id}", auth.NetworkAdmin, s.resourceForms().updated(s)},
		{"GET /admin/connecteurs", auth.NetworkAdmin, s.connectorList},
		{"GET /admin/connecteurs/etat", auth.NetworkAdmin, s.connectorHealth},
		{"GET /admin/connecteurs/nouveau", auth.NetworkAdmin, s.connectorNew},
		{"POST /admin/connecteurs/nouveau", auth.NetworkAdmin, s.connectorCreate},
		{"GET /admin/connecteurs/{id}", auth.NetworkAdmin, s.connectorEdit},
		{"POST /admin/connecteurs/{id}", auth.NetworkAdmin, s.connectorUpdate},
		{"GET /admin/connecteurs/{id}/supprimer", auth.NetworkAdmin, s.connectorDeleteForm},
		{"POST /admin/connecteurs/{id}/supprimer", auth.NetworkAdmin, s.connectorDelete},
		{"GET /admin/personnel", auth.NetworkAdmin, s.staffList},
		{"GET /admin/personnel/nouveau", auth.NetworkAdmin, s.staffNew},
		{"POST /admin/personnel/nouveau", auth.NetworkAdmin, s.staffCreate},
		{"GET /admin/personnel/{id}", auth.NetworkAdmin, s.staffEdit},
		{"POST /admin/personnel/{id}", auth.NetworkAdmin, s.staffUpdate},
		{"POST /admin/personnel/{id}/mot-de-passe", auth.NetworkAdmin, s.staffResetPassword},
		{"POST /admin/personnel/{id}/double-authentification", auth.NetworkAdmin, s.staffDisableTOTP},
		{"GET /admin/reseau", auth.NetworkAdmin, s.networkEdit},
		{"POST /admin/reseau", auth.NetworkAdmin, s.networkUpdate},
		{"GET /admin/courriels", auth.NetworkAdmin, s.mailList},
		{"GET " + apiKeysPath, auth.NetworkAdmin, s.apiKeyList},
		{"POST " + apiKeysPath, auth.NetworkAdmin, s.apiKeyCreate},
		{"POST " + apiKeysPath + "/{id}/revoquer", auth.NetworkAdmin, s.apiKeyRevoke},
		{"GET /statistiques", auth.LibraryStaff, s.libraryStats(statsHTML)},
		{"GET /statistiques/export.csv", auth.LibraryStaff, s.libraryStats(statsCSV)},
		{"GET /statistiques/export.xlsx", auth.LibraryStaff, s.libraryStats(statsXLSX)},
		{"GET /admin/statistiques", auth.NetworkAdmin, s.networkStats(statsHTML)},
		{"GET /admin/statistiques/export.csv", auth.NetworkAdmin, s.networkStats(statsCSV)},
		{"GET /admin/statistiques/export.xlsx", auth.NetworkAdmin, s.networkStats(statsXLSX)},
	}
}
