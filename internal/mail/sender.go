package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/bdf29/sesame/internal/config"
)

// stepTimeout bounds each step of an SMTP exchange (each command, the
// data), and sendTimeout the connection, TLS and greeting included. A
// healthy exchange takes a second or two, well within the jobs' lease (1m by
// default), so that another instance does not take the job meanwhile.
const (
	stepTimeout = 20 * time.Second
	sendTimeout = 45 * time.Second
)

// Sender sends messages through the configured SMTP server. A Sender without
// a host sends nothing: its messages are kept in the outbox.
type Sender struct {
	cfg  config.SMTP
	from *netmail.Address
	// tlsConfig replaces go-mail's (the system's roots, the host's name); tests
	// set it to trust their own certificate.
	tlsConfig *tls.Config
	// terminal, when set, receives the messages instead of an SMTP server:
	// the demo's mailbox is the terminal it runs in.
	terminal io.Writer
}

// NewTerminalSender returns a sender that writes each message, as plain
// text with its links, to w. It is the demo's transport when no SMTP server
// is set, so that whoever tries the demo can follow a registration or a
// reset link; the outbox and the admin's page keep only the redacted copy.
func NewTerminalSender(w io.Writer) *Sender { return &Sender{terminal: w} }

// NewSender returns the sender for cfg, which config.Validate has checked.
func NewSender(cfg config.SMTP) (*Sender, error) {
	if cfg.Port == 0 {
		cfg.Port = config.DefaultSMTPPort
	}
	if cfg.TLS == "" {
		cfg.TLS = config.SMTPStartTLS
	}
	s := &Sender{cfg: cfg}
	if cfg.Host == "" {
		return s, nil
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("SESAME_MAIL_FROM %q: %w", cfg.From, err)
	}
	s.from = from
	return s, nil
}

// Configured reports whether messages are sent (to an SMTP server, or to the
// demo's terminal) rather than kept.
func (s *Sender) Configured() bool { return s != nil && (s.cfg.Host != "" || s.terminal != nil) }

// send sends m with messageID as its Message-ID when set, so that a message
// sent twice (see Handler) carries the same id both times.
func (s *Sender) send(ctx context.Context, m Message, messageID string) error {
	if !s.Configured() {
		return errors.New("no SMTP server configured (SESAME_SMTP_HOST)")
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if s.terminal != nil {
		_, err := fmt.Fprintf(s.terminal, "\n--- Courriel pour %s <%s> ---\nObjet : %s\n\n%s\n--- fin du courriel ---\n\n", m.ToName, m.To, m.Subject, m.Text)
		return err
	}
	msg := s.message(m, messageID)
	opts := []gomail.Option{gomail.WithTimeout(stepTimeout)}
	switch s.cfg.TLS {
	case config.SMTPTLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case config.SMTPTLS:
		opts = append(opts, gomail.WithSSL())
	default: // STARTTLS, required: never send in clear by surprise
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	opts = append(opts, gomail.WithPort(s.cfg.Port))
	if s.tlsConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.tlsConfig))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}

// message builds m as go-mail writes it: go-mail encodes the header fields
// (RFC 2047) and the bodies (quoted-printable), a second guard after Validate.
func (s *Sender) message(m Message, messageID string) *gomail.Msg {
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(&netmail.Address{Name: m.ToName, Address: m.To})
	msg.Subject(m.Subject)
	msg.SetDate()
	if messageID != "" {
		msg.SetMessageIDWithValue(messageID)
	} else {
		msg.SetMessageID()
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg
}
