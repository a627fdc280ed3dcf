package mail

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/store"
)

// maxError bounds the failure kept on an outbox row, in bytes.
const maxError = 500

// Handler is the job that sends one message of the outbox. Do sends it; Record
// marks it sent, in the transaction that marks the job done. Delivery is at
// least once: if the process dies between the two, the job runs again after
// its lease and the message is sent a second time, with the same Message-ID
// so that mail clients can fold the two. A message recorded as sent is never
// sent again. A failed attempt is kept on the row (attempts, last_error) and
// the runner tries again later, with its backoff.
//
// With no SMTP server configured (sender nil or without host), Do sends
// nothing and Record marks the message kept. Either way its secret is
// erased (store.Tx.MailDone). A message whose link expired before it could
// be sent (its secret erased by the purge) is kept unsent: it would open
// nothing.
func Handler(st *store.Store, sender *Sender) jobs.Handler {
	return jobs.Handler{
		Do: func(ctx context.Context, job store.Job) error {
			if !sender.Configured() {
				return nil
			}
			id, err := outboxID(job)
			if err != nil {
				return err
			}
			m, err := st.Mail(ctx, id)
			if sesame.ErrorCode(err) == sesame.ENotFound {
				return nil // nothing left to send; Record finds nothing either
			}
			if err != nil {
				return err
			}
			if !m.Pending() {
				return nil
			}
			msg, ok := Compose(m)
			if !ok {
				return nil // its link expired unsent: Record keeps it, unsent
			}
			if err := sender.send(ctx, msg, messageID(m, sender)); err != nil {
				failure := err.Error()
				if len(failure) > maxError {
					failure = strings.ToValidUTF8(failure[:maxError], "") + "…"
				}
				if ferr := st.MailFailed(ctx, id, job.Attempts, failure); ferr != nil {
					err = errors.Join(err, ferr)
				}
				return err
			}
			return nil
		},
		Record: func(ctx context.Context, job store.Job, tx *store.Tx) error {
			id, err := outboxID(job)
			if err != nil {
				return err
			}
			kept := !sender.Configured()
			if !kept {
				m, err := st.Mail(ctx, id)
				if err != nil && sesame.ErrorCode(err) != sesame.ENotFound {
					return err
				}
				_, ok := Compose(m)
				kept = err == nil && !ok
			}
			return tx.MailDone(ctx, id, kept, job.Attempts)
		},
	}
}

func outboxID(job store.Job) (int64, error) {
	id, err := strconv.ParseInt(job.Payload, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("mail job %d: payload %q is not an outbox id", job.ID, job.Payload)
	}
	return id, nil
}

// messageID names an outbox message the same way at every attempt, in the
// sender's domain.
func messageID(m store.Mail, sender *Sender) string {
	domain := "sesame.invalid"
	if sender.from != nil {
		if at := strings.LastIndexByte(sender.from.Address, '@'); at >= 0 {
			domain = sender.from.Address[at+1:]
		}
	}
	return fmt.Sprintf("sesame.%d.%d@%s", m.ID, m.CreatedAt.UnixMicro(), domain)
}
