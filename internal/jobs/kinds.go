package jobs

// The kinds of background job, all of them: a kind is the name a job is
// stored under, and internal/app's job table binds each one to its handler
// and says when it runs. A kind enqueued but missing from that table would
// fail at run time with "no handler" (app's TestJobTableHasEveryKind checks).
const (
	// KindPing checks that background work runs: it leaves an audit event.
	// "sesame jobs ping" enqueues one.
	KindPing = "ping"
	// KindPurge deletes expired sessions, old login failures and old
	// jobs, then schedules itself again.
	KindPurge = "purge"
	// KindRetention deletes what the privacy notice says is kept no longer
	// (store.Tx.ApplyRetention), then schedules itself again.
	KindRetention = "retention"
	// KindFoldLaunches counts each day over into the anonymous usage
	// statistics, deletes the launches past their retention, then schedules
	// itself for the next night.
	KindFoldLaunches = "statistiques"
	// KindMail sends one message of the outbox; its payload is the
	// message's id (see package mail).
	KindMail = "mail"
	// KindResetRequest sends a password reset link, when a patron has the
	// address it carries.
	KindResetRequest = "reinitialisation"
	// KindRegistrationResend sends a new registration link to the address it
	// carries, when a registration waits for it.
	KindRegistrationResend = "inscription-renvoi"
	// KindLibraryDigest sends the libraries' daily digests. The first
	// request queued for a digest schedules it.
	KindLibraryDigest = "recapitulatif"
	// KindReminders sends the reminders before the end of validity due
	// today (package reminders), then schedules itself for the next morning.
	KindReminders = "rappels"
	// KindRenewalImport applies an import staged by « Importer depuis le
	// SIGB » (package renewals), batch by batch; its payload is the
	// import's id. Started again, it goes on from the first row not applied.
	KindRenewalImport = "import-sigb"
	// KindConnectorHealth checks the vendor connectors each morning and
	// mails the network admin a warning once per episode (package
	// connhealth), then schedules itself for the next morning.
	KindConnectorHealth = "etat-connecteurs"
	// KindSeatSweep gives, each night, the licence seats of accounts past
	// their end date to the next patrons on the waiting list (SweepSeats),
	// then schedules itself for the next night.
	KindSeatSweep = "places-liberees"
)
