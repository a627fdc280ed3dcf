// Package api serves the JSON API under /api/v1, for the library system's
// nightly job: it sends the renewals recorded at the desk and reads the
// accounts that wait. A call carries a library's key (Authorization:
// Bearer ssm_…), never a session cookie: internal/web mounts this handler
// outside its session and CSRF middleware. Errors are RFC 9457 problem
// details in French; openapi.json describes every answer.
package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/store"
)

// Prefix is where the API lives. /api/v1/sso/check, older, is the web
// server's (the signed links' check) and stays there.
const Prefix = "/api/v1/"

// Paths the web server mounts here; see Handler.
const (
	LibrariesPath = Prefix + "libraries/"
	OpenAPIPath   = Prefix + "openapi.json"
)

// MaxBody is the largest body a call may send: 50 MB, as the import page's files.
const MaxBody = 50 << 20

// Config is what the API needs from the wiring.
type Config struct {
	Store    *store.Store
	Renewals *renewals.Service
	Logger   *slog.Logger
	Now      func() time.Time
	// RatePerMinute is each key's allowance; 0 means DefaultRatePerMinute.
	RatePerMinute int
	// TempDir receives the bodies of renewals while they are read (see
	// spool); "" means the system's.
	TempDir string
}

// API serves /api/v1.
type API struct {
	cfg     Config
	log     *slog.Logger
	limiter *limiter
}

// New returns the API.
func New(cfg Config) *API {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &API{cfg: cfg, log: cfg.Logger, limiter: newLimiter(cfg.RatePerMinute, cfg.Now)}
}

// endpoint is one line of the API's table: its path, its one method, and
// its handler, which receives the caller's key.
type endpoint struct {
	pattern string
	method  string
	handle  func(w http.ResponseWriter, r *http.Request, key sesame.APIKey)
}

func (a *API) endpoints() []endpoint {
	return []endpoint{
		{LibrariesPath + "{code}/renewals", http.MethodPost, a.postRenewals},
		{LibrariesPath + "{code}/patrons", http.MethodGet, a.getPatrons},
	}
}

// Handler serves every path under Prefix that the web server hands over.
// The patterns carry no method, so that a wrong one gets a problem
// details 405, not net/http's plain text.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(OpenAPIPath, a.openAPI)
	for _, e := range a.endpoints() {
		mux.Handle(e.pattern, a.withKey(e))
	}
	mux.Handle(LibrariesPath, a.withKey(endpoint{handle: func(w http.ResponseWriter, r *http.Request, _ sesame.APIKey) { notFound(w, r) }}))
	mux.HandleFunc(Prefix, notFound)
	return a.withRecover(mux)
}

// withKey checks, in this order, the key (401), its allowance (429), the
// method (405) and the library of the path (404), then serves e.
func (a *API) withKey(e endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		if allowed, wait := a.limiter.allow(key.ID); !allowed {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
			writeProblem(w, r, http.StatusTooManyRequests, "Trop de requêtes pour cette clé : "+strconv.Itoa(a.limiter.perMin)+" par minute au plus. Réessayez dans "+strconv.Itoa(int(wait/time.Second))+" s.")
			return
		}
		if e.method != "" && r.Method != e.method {
			w.Header().Set("Allow", e.method)
			writeProblem(w, r, http.StatusMethodNotAllowed, "Cette adresse n'accepte que la méthode "+e.method+".")
			return
		}
		// A key sees its own library only: another library's code reads
		// as an unknown one.
		if code := r.PathValue("code"); e.method != "" && !strings.EqualFold(code, key.LibraryCode) {
			notFound(w, r)
			return
		}
		e.handle(w, r, key)
	})
}

// authenticate finds the key of the Authorization header, or answers 401.
func (a *API) authenticate(w http.ResponseWriter, r *http.Request) (sesame.APIKey, bool) {
	scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sesame"`)
		writeProblem(w, r, http.StatusUnauthorized, "Ajoutez l'en-tête « Authorization: Bearer » suivi de la clé d'API de votre bibliothèque.")
		return sesame.APIKey{}, false
	}
	key, err := a.cfg.Store.APIKeyBySecret(r.Context(), strings.TrimSpace(secret))
	if err != nil {
		if sesame.ErrorCode(err) != sesame.ENotFound {
			a.internal(w, r, err)
			return sesame.APIKey{}, false
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="sesame", error="invalid_token"`)
		writeProblem(w, r, http.StatusUnauthorized, "Clé d'API inconnue ou révoquée. Demandez une nouvelle clé à l'administration du réseau.")
		return sesame.APIKey{}, false
	}
	return key, true
}

// internal logs err and answers a 500 that says nothing of it.
func (a *API) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client left; nobody reads the answer
	}
	a.log.Error("api", "path", r.URL.Path, "err", err)
	writeProblem(w, r, http.StatusInternalServerError, internalDetail)
}

// fail answers err: the domain's refusals with their French message,
// anything else as a 500.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch sesame.ErrorCode(err) {
	case sesame.EInvalid, sesame.EForbidden, sesame.EConflict, sesame.EStale:
		writeProblem(w, r, http.StatusBadRequest, sesame.ErrorMessage(err))
	case sesame.ENotFound:
		notFound(w, r)
	default:
		a.internal(w, r, err)
	}
}

// withRecover turns a panic into a logged 500.
func (a *API) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("api: panique", "path", r.URL.Path, "value", v)
				writeProblem(w, r, http.StatusInternalServerError, internalDetail)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
