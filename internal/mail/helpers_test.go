package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/mail"
	"github.com/bdf29/sesame/internal/store"
	"github.com/bdf29/sesame/internal/storetest"
)

// testClock is a clock that tests move by hand, shared by the store and the runner.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestStore opens a fresh store, on the engine SESAME_TEST_ENGINE names,
// with a clock the test moves.
func newTestStore(t testing.TB) (*store.Store, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	return storetest.Open(t, clock.Now), clock
}

// received is one message as the SMTP server got it.
type received struct {
	from string
	rcpt []string
	data []byte
}

// smtpServer is a real SMTP server on 127.0.0.1 that records what it
// receives. It can be stopped and started again on the same address.
type smtpServer struct {
	t        testing.TB
	addr     string
	username string // when set, AUTH PLAIN with password is required
	password string

	tls      *tls.Config // when set, STARTTLS is offered with this certificate
	trust    *tls.Config // what the sender needs to trust that certificate
	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	received []received
}

// newSMTPServer starts a server on a free port, stopped at the end of the test.
func newSMTPServer(t testing.TB) *smtpServer {
	t.Helper()
	s := &smtpServer{t: t, addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// newSMTPServerTLS starts a server that offers STARTTLS with a certificate
// of its own, and requires AUTH PLAIN with username and password.
func newSMTPServerTLS(t testing.TB, username, password string) *smtpServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	s := &smtpServer{t: t, addr: "127.0.0.1:0", username: username, password: password,
		tls:   &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		trust: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *smtpServer) start() {
	s.t.Helper()
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("listen %s: %v", s.addr, err)
	}
	s.addr = l.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		if s.username != "" {
			return &authSession{session: session{s: s}}, nil
		}
		return &session{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.TLSConfig = s.tls
	s.mu.Lock()
	s.srv, s.ln = srv, l
	s.mu.Unlock()
	go srv.Serve(l)
}

func (s *smtpServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		// Close the listener too: Serve may not have registered it yet.
		s.ln.Close()
		s.srv.Close()
		s.srv, s.ln = nil, nil
	}
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

// config is the SMTP settings that reach this server, in clear.
func (s *smtpServer) config() config.SMTP {
	host, port, _ := net.SplitHostPort(s.addr)
	p, _ := strconv.Atoi(port)
	mode := config.SMTPTLSNone
	if s.tls != nil {
		mode = config.SMTPStartTLS
	}
	return config.SMTP{Host: host, Port: p, TLS: mode, Username: s.username, Password: s.password,
		From: "Réseau des bibliothèques <ne-pas-repondre@bibliotheques.example.fr>"}
}

// sender returns a sender to this server.
func (s *smtpServer) sender() *mail.Sender {
	s.t.Helper()
	snd, err := mail.NewSender(s.config())
	if err != nil {
		s.t.Fatalf("NewSender: %v", err)
	}
	if s.trust != nil {
		mail.SetTLSConfig(snd, s.trust)
	}
	return snd
}

type session struct {
	s      *smtpServer
	authed bool
	cur    received
}

func (ss *session) Reset()        { ss.cur = received{} }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.cur.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.cur.rcpt = append(ss.cur.rcpt, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.cur.data = b
	ss.s.mu.Lock()
	ss.s.received = append(ss.s.received, ss.cur)
	ss.s.mu.Unlock()
	return nil
}

type authSession struct{ session }

func (as *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (as *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != as.s.username || password != as.s.password {
			return errors.New("invalid credentials")
		}
		as.authed = true
		return nil
	}), nil
}

// newRunner is one instance's jobs runner with only the mail handler; a new
// one stands for a restarted process.
func newRunner(st *store.Store, clock *testClock, worker string, sender *mail.Sender) *jobs.Runner {
	return &jobs.Runner{
		Store: st, Worker: worker, Now: clock.Now,
		Handlers: map[string]jobs.Handler{jobs.KindMail: mail.Handler(st, sender)},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// runOnce runs one round of r and returns how many jobs it finished.
func runOnce(t testing.TB, r *jobs.Runner) int {
	t.Helper()
	n, err := r.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

// enqueue writes m into the outbox in a transaction of its own.
func enqueue(st *store.Store, m mail.Message) error {
	ctx := context.Background()
	return st.Update(ctx, func(tx *store.Tx) error { return mail.Enqueue(ctx, tx, m) })
}

// outbox returns the outbox, newest first.
func outbox(t testing.TB, st *store.Store) []store.Mail {
	t.Helper()
	list, err := st.RecentMail(context.Background(), 100)
	if err != nil {
		t.Fatalf("RecentMail: %v", err)
	}
	return list
}

// parsed is a received message, decoded.
type parsed struct {
	header  netmail.Header
	to      []*netmail.Address
	subject string
	parts   map[string]string // body by media type
}

func parse(t testing.TB, data []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	p := parsed{header: msg.Header, parts: map[string]string{}}
	if p.to, err = msg.Header.AddressList("To"); err != nil {
		t.Fatalf("To %q: %v", msg.Header.Get("To"), err)
	}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject %q: %v", msg.Header.Get("Subject"), err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		p.parts[mt] = decodeBody(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return p
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		p.parts[pt] = decodeBody(t, part.Header.Get("Content-Transfer-Encoding"), part)
	}
	return p
}

func decodeBody(t testing.TB, encoding string, r io.Reader) string {
	t.Helper()
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s body: %v", encoding, err)
	}
	return string(b)
}
