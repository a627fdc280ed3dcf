// Package config reads Sésame's settings from flags and SESAME_* variables.
// Secrets come from the environment only, never from flags or files.
package config

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is every setting of a running Sésame.
type Config struct {
	Addr     string // SESAME_ADDR, --addr: where to listen
	DB       string // SESAME_DB, --db: the SQLite file
	jobLease string

	BaseURL string // SESAME_BASE_URL: the public address, for links in mail and SSO
	// JobLease is how long a background job stays with the instance that took
	// it before another may take it again (SESAME_JOB_LEASE, default 1m).
	JobLease time.Duration
}

// Defaults for serve; the demo has its own database file.
const (
	DefaultAddr   = "127.0.0.1:8080"
	DefaultDB     = "sesame.db"
	DefaultDemoDB = "sesame-demo.db"
)

// Env reads a variable; tests pass their own.
type Env func(string) string

// Bind declares the common flags on fs, with defaults from env, and returns
// the config they fill once fs is parsed.
func Bind(fs *flag.FlagSet, env Env, defaultDB string) *Config {
	if env == nil {
		env = os.Getenv
	}
	c := &Config{}
	fs.StringVar(&c.Addr, "addr", or(env("SESAME_ADDR"), DefaultAddr), "address to listen on (SESAME_ADDR)")
	fs.StringVar(&c.DB, "db", or(env("SESAME_DB"), defaultDB), "SQLite database file (SESAME_DB)")
	c.BaseURL = env("SESAME_BASE_URL")
	c.jobLease = env("SESAME_JOB_LEASE")
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
	c.JobLease = time.Minute
	if c.jobLease != "" {
		d, err := time.ParseDuration(c.jobLease)
		if err != nil || d < time.Second {
			return fmt.Errorf("SESAME_JOB_LEASE %q: want a duration of at least 1s, such as 1m", c.jobLease)
		}
		c.JobLease = d
	}
	return nil
}

// Secure reports whether the public address is https, so cookies must be Secure.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
