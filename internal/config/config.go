// Package config reads Sésame's settings from flags and SESAME_* variables.
// Secrets come from the environment only, never from flags or files.
package config

import (
	"flag"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/secret"
)

// Config is every setting of a running Sésame.
type Config struct {
	Addr     string // SESAME_ADDR, --addr: where to listen
	DB       string // SESAME_DB, --db: the SQLite file
	jobLease string

	BaseURL string // SESAME_BASE_URL: the public address, for links in mail and SSO
	// TrustProxy takes the client address from the last X-Forwarded-For
	// entry, as set by the reverse proxy in front (SESAME_TRUST_PROXY=1);
	// never set it without one.
	TrustProxy bool
	trustProxy string
	// JobLease is how long a background job stays with the instance that took
	// it before another may take it again (SESAME_JOB_LEASE, default 1m).
	JobLease time.Duration
	// ShutdownDelay is how long an instance keeps serving after SIGTERM,
	// with /readyz at 503, before it stops taking requests
	// (SESAME_SHUTDOWN_DELAY, default 2s).
	ShutdownDelay time.Duration
	shutdownDelay string
	// CASTicketTTL is how long a CAS service ticket waits for its validation
	// (SESAME_CAS_TICKET_TTL, default 10s, from 1s to 5m as the CAS
	// specification recommends).
	CASTicketTTL time.Duration
	casTicketTTL string
	// SessionIdle is how long a staff or patron session lasts without
	// activity (SESAME_SESSION_IDLE, default 30m, from 5s to 12h); pages
	// warn two minutes before it ends.
	SessionIdle time.Duration
	sessionIdle string
	// SMTP is the mail server; with no host, mail is kept rather than sent.
	SMTP SMTP
	// SecretKey seals the vendors' secrets in the database (SESAME_SECRET_KEY,
	// 32 random bytes in base64 or hex). Empty: connectors with a secret can
	// be neither saved nor used.
	SecretKey []byte
	secretKey string
	// LaunchRetention is how many months a launch keeps its patron before it
	// is folded into anonymous counts (SESAME_LAUNCH_RETENTION, 1 to 4,
	// default 4: loan details are kept 4 months in the CNIL's spirit).
	LaunchRetention int
	launchRetention string
	// MetricsToken, when set, is the Bearer token a Prometheus scrape of
	// /metrics must present (SESAME_METRICS_TOKEN, at least
	// MinMetricsTokenLength characters): a secret, from the environment only.
	MetricsToken string
	// MetricsAddr, when set, serves /metrics on a listener of its own, such
	// as 127.0.0.1:9090, and no longer on the site (SESAME_METRICS_ADDR).
	// With neither setting, /metrics is served nowhere.
	MetricsAddr string
	// SIP2 is the SIP2 server for vendors that check patrons with it;
	// Addr empty: no SIP2 server.
	SIP2 SIP2
}

// SIP2 is the SIP2 server's settings. A vendor's login and a patron's
// password cross the wire, so the server speaks TLS, or plain TCP on a
// loopback address (a local TLS tunnel in front), or elsewhere only when
// the operator says so in as many words.
type SIP2 struct {
	Addr           string // SESAME_SIP2_ADDR (--sip2-addr), host:port
	TLSCert        string // SESAME_SIP2_TLS_CERT: a PEM certificate file
	TLSKey         string // SESAME_SIP2_TLS_KEY: its PEM private key file
	AllowPlaintext bool   // SESAME_SIP2_ALLOW_PLAINTEXT=1: plain TCP on any address
	allowPlaintext string
}

// TLS reports whether the SIP2 server speaks TLS.
func (s SIP2) TLS() bool { return s.TLSCert != "" }

// SMTP is the mail server's settings, from the environment only.
type SMTP struct {
	Host     string // SESAME_SMTP_HOST; empty: mail is kept in the outbox, not sent
	Port     int    // SESAME_SMTP_PORT, default 587
	Username string // SESAME_SMTP_USERNAME; empty: no authentication
	Password string // SESAME_SMTP_PASSWORD: a secret, never printed nor logged
	TLS      string // SESAME_SMTP_TLS: none, starttls (default) or tls
	From     string // SESAME_MAIL_FROM: ne-pas-repondre@… or "Réseau <ne-pas-repondre@…>"
	port     string
}

// SMTP TLS modes: none, STARTTLS required, or TLS from the first byte.
const (
	SMTPTLSNone     = "none"
	SMTPStartTLS    = "starttls"
	SMTPTLS         = "tls"
	DefaultSMTPPort = 587
)

// String describes the settings without the password.
func (s SMTP) String() string {
	return fmt.Sprintf("smtp{host=%s port=%d username=%s tls=%s from=%s}", s.Host, s.Port, s.Username, s.TLS, s.From)
}

// Defaults for serve; the demo has its own database file.
const (
	DefaultAddr   = "127.0.0.1:8080"
	DefaultDB     = "sesame.db"
	DefaultDemoDB = "sesame-demo.db"
	// DefaultLaunchRetention is also the longest: launches name patrons.
	DefaultLaunchRetention = 4
	// DefaultSessionIdle is the idle limit of sessions, as the RGAA's
	// audits expect of a back office: long enough to answer the phone.
	DefaultSessionIdle = 30 * time.Minute
)

// Env reads a variable; tests pass their own.
type Env func(string) string

// Load declares the common flags on fs, beside those the command declared,
// parses args, and returns the settings checked and complete. It is the one
// place that reads SESAME_* variables: commands read their settings here.
func Load(fs *flag.FlagSet, args []string, env Env, defaultDB string) (Config, error) {
	c := bind(fs, env, defaultDB)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return *c, nil
}

// bind declares the common flags on fs, with defaults from env, and returns
// the config they fill once fs is parsed.
func bind(fs *flag.FlagSet, env Env, defaultDB string) *Config {
	if env == nil {
		env = os.Getenv
	}
	c := &Config{}
	fs.StringVar(&c.Addr, "addr", or(env("SESAME_ADDR"), DefaultAddr), "address to listen on (SESAME_ADDR)")
	fs.StringVar(&c.DB, "db", or(env("SESAME_DB"), defaultDB), "database: a SQLite file path, or a postgres:// URL (SESAME_DB)")
	c.BaseURL = env("SESAME_BASE_URL")
	c.trustProxy = env("SESAME_TRUST_PROXY")
	c.jobLease = env("SESAME_JOB_LEASE")
	c.secretKey = env("SESAME_SECRET_KEY")
	c.launchRetention = env("SESAME_LAUNCH_RETENTION")
	c.shutdownDelay = env("SESAME_SHUTDOWN_DELAY")
	c.casTicketTTL = env("SESAME_CAS_TICKET_TTL")
	c.sessionIdle = env("SESAME_SESSION_IDLE")
	c.MetricsToken = env("SESAME_METRICS_TOKEN")
	c.MetricsAddr = strings.TrimSpace(env("SESAME_METRICS_ADDR"))
	fs.StringVar(&c.SIP2.Addr, "sip2-addr", strings.TrimSpace(env("SESAME_SIP2_ADDR")), "address of the SIP2 server for vendors, none when empty (SESAME_SIP2_ADDR)")
	c.SIP2.TLSCert = strings.TrimSpace(env("SESAME_SIP2_TLS_CERT"))
	c.SIP2.TLSKey = strings.TrimSpace(env("SESAME_SIP2_TLS_KEY"))
	c.SIP2.allowPlaintext = env("SESAME_SIP2_ALLOW_PLAINTEXT")
	c.SMTP = SMTP{Host: strings.TrimSpace(env("SESAME_SMTP_HOST")), port: env("SESAME_SMTP_PORT"), Username: env("SESAME_SMTP_USERNAME"),
		Password: env("SESAME_SMTP_PASSWORD"), TLS: env("SESAME_SMTP_TLS"), From: strings.TrimSpace(env("SESAME_MAIL_FROM"))}
	return c
}

// Validate checks the settings and fills what derives from others.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.DB) == "" {
		return fmt.Errorf("no database: set --db or SESAME_DB")
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("SESAME_BASE_URL %q: want an absolute http(s) URL such as https://ressources.example.fr", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	switch c.trustProxy {
	case "", "0":
		c.TrustProxy = false
	case "1":
		c.TrustProxy = true
	default:
		return fmt.Errorf("SESAME_TRUST_PROXY %q: want 1 behind a reverse proxy, or leave it unset", c.trustProxy)
	}
	c.JobLease = time.Minute
	if c.jobLease != "" {
		d, err := time.ParseDuration(c.jobLease)
		if err != nil || d < time.Second {
			return fmt.Errorf("SESAME_JOB_LEASE %q: want a duration of at least 1s, such as 1m", c.jobLease)
		}
		c.JobLease = d
	}
	c.ShutdownDelay = 2 * time.Second
	if c.shutdownDelay != "" {
		d, err := time.ParseDuration(c.shutdownDelay)
		if err != nil || d < 0 || d > time.Minute {
			return fmt.Errorf("SESAME_SHUTDOWN_DELAY %q: want a duration from 0s to 1m, such as 2s", c.shutdownDelay)
		}
		c.ShutdownDelay = d
	}
	c.CASTicketTTL = 10 * time.Second
	if c.casTicketTTL != "" {
		d, err := time.ParseDuration(c.casTicketTTL)
		if err != nil || d < time.Second || d > 5*time.Minute {
			return fmt.Errorf("SESAME_CAS_TICKET_TTL %q: want a duration from 1s to 5m, such as 10s", c.casTicketTTL)
		}
		c.CASTicketTTL = d
	}
	c.SessionIdle = DefaultSessionIdle
	if c.sessionIdle != "" {
		d, err := time.ParseDuration(c.sessionIdle)
		if err != nil || d < 5*time.Second || d > 12*time.Hour {
			return fmt.Errorf("SESAME_SESSION_IDLE %q: want a duration from 5s to 12h, such as 30m", c.sessionIdle)
		}
		c.SessionIdle = d
	}
	c.LaunchRetention = DefaultLaunchRetention
	if c.launchRetention != "" {
		n, err := strconv.Atoi(strings.TrimSpace(c.launchRetention))
		if err != nil || n < 1 || n > DefaultLaunchRetention {
			return fmt.Errorf("SESAME_LAUNCH_RETENTION %q: want a number of months from 1 to 4, such as 4", c.launchRetention)
		}
		c.LaunchRetention = n
	}
	if err := c.validateMetrics(); err != nil {
		return err
	}
	if err := c.validateSIP2(); err != nil {
		return err
	}
	if c.secretKey != "" {
		key, err := secret.ParseKey(c.secretKey)
		if err != nil {
			return err
		}
		c.SecretKey = key
	}
	return c.SMTP.validate()
}

// MinMetricsTokenLength keeps the metrics token out of guessing reach:
// `openssl rand -hex 32` gives 64 characters.
const MinMetricsTokenLength = 32

// validateSIP2 checks the SIP2 server's address and TLS files, and refuses
// plain TCP off loopback unless allowed: patrons' passwords would cross the
// network in clear.
func (c *Config) validateSIP2() error {
	switch strings.TrimSpace(c.SIP2.allowPlaintext) {
	case "", "0":
		c.SIP2.AllowPlaintext = false
	case "1":
		c.SIP2.AllowPlaintext = true
	default:
		return fmt.Errorf("SESAME_SIP2_ALLOW_PLAINTEXT %q: want 1 to allow SIP2 in clear off loopback, or leave it unset", c.SIP2.allowPlaintext)
	}
	c.SIP2.Addr = strings.TrimSpace(c.SIP2.Addr)
	if (c.SIP2.TLSCert == "") != (c.SIP2.TLSKey == "") {
		return fmt.Errorf("SESAME_SIP2_TLS_CERT and SESAME_SIP2_TLS_KEY: set both (the certificate and its key) or neither")
	}
	if c.SIP2.Addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.SIP2.Addr)
	if err != nil || port == "" {
		return fmt.Errorf("SESAME_SIP2_ADDR %q: want host:port, such as 127.0.0.1:6001", c.SIP2.Addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("SESAME_SIP2_ADDR %q: want host:port, such as 127.0.0.1:6001", c.SIP2.Addr)
	}
	if c.SIP2.Addr == c.Addr || (c.MetricsAddr != "" && c.SIP2.Addr == c.MetricsAddr) {
		return fmt.Errorf("SESAME_SIP2_ADDR %q: want another address than the site's and the metrics'", c.SIP2.Addr)
	}
	if c.SIP2.TLS() || c.SIP2.AllowPlaintext || loopback(host) {
		return nil
	}
	return fmt.Errorf("SESAME_SIP2_ADDR %q: SIP2 carries patrons' passwords and would travel in clear; set SESAME_SIP2_TLS_CERT and SESAME_SIP2_TLS_KEY, listen on a loopback address such as 127.0.0.1:6001 behind a TLS tunnel, or set SESAME_SIP2_ALLOW_PLAINTEXT=1 if the network in between is trusted", c.SIP2.Addr)
}

// loopback reports whether host names this machine only: a loopback IP or
// "localhost". An empty host listens on every interface.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateMetrics checks the token's strength and the listener's address.
// The message never repeats the token.
func (c *Config) validateMetrics() error {
	if c.MetricsToken != "" {
		if len(c.MetricsToken) < MinMetricsTokenLength || strings.ContainsFunc(c.MetricsToken, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return fmt.Errorf("SESAME_METRICS_TOKEN: want at least %d printable ASCII characters without spaces, such as the output of openssl rand -hex 32", MinMetricsTokenLength)
		}
	}
	if c.MetricsAddr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(c.MetricsAddr)
	if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
		return fmt.Errorf("SESAME_METRICS_ADDR %q: want host:port, such as 127.0.0.1:9090", c.MetricsAddr)
	}
	if c.MetricsAddr == c.Addr {
		return fmt.Errorf("SESAME_METRICS_ADDR %q: want another address than the site's (SESAME_ADDR), or leave it unset and set SESAME_METRICS_TOKEN", c.MetricsAddr)
	}
	return nil
}

func (s *SMTP) validate() error {
	s.Port = DefaultSMTPPort
	if s.port != "" {
		p, err := strconv.Atoi(s.port)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("SESAME_SMTP_PORT %q: want a port number from 1 to 65535, such as 587", s.port)
		}
		s.Port = p
	}
	s.TLS = strings.ToLower(strings.TrimSpace(s.TLS))
	switch s.TLS {
	case "":
		s.TLS = SMTPStartTLS
	case SMTPTLSNone, SMTPStartTLS, SMTPTLS:
	default:
		return fmt.Errorf("SESAME_SMTP_TLS %q: want none, starttls or tls", s.TLS)
	}
	if s.Password != "" && s.Username == "" {
		return fmt.Errorf("SESAME_SMTP_PASSWORD is set but SESAME_SMTP_USERNAME is not")
	}
	if s.Host == "" && s.From == "" {
		return nil
	}
	if s.From == "" {
		return fmt.Errorf("SESAME_MAIL_FROM is required with SESAME_SMTP_HOST: the sender, such as ne-pas-repondre@bibliotheque.example.fr")
	}
	a, err := netmail.ParseAddress(s.From)
	if err != nil || sesame.CheckEmail(a.Address) != "" || strings.ContainsAny(a.Name, "\r\n") {
		return fmt.Errorf("SESAME_MAIL_FROM %q: want an address such as ne-pas-repondre@bibliotheque.example.fr, or \"Réseau <ne-pas-repondre@bibliotheque.example.fr>\"", s.From)
	}
	return nil
}

// SafeDB is the database setting fit for logs and screens: a PostgreSQL
// URL's password is masked.
func (c *Config) SafeDB() string {
	u, err := url.Parse(c.DB)
	if err != nil || u.User == nil {
		return c.DB
	}
	return u.Redacted()
}

// Secure reports whether the public address is https, so cookies must be Secure.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
