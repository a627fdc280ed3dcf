package demo

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bdf29/sesame/internal/secret"
	"github.com/bdf29/sesame/internal/store"
)

// KeyFile is where the demo keeps the key that seals its vendor secrets,
// OIDC keys and SAML identity when SESAME_SECRET_KEY is unset: beside its
// SQLite database (sesame-demo.db → sesame-demo.key), or in the working
// directory for a PostgreSQL one. Kept there, a second start reads what the
// first one sealed.
func KeyFile(db string) string {
	if store.IsPostgres(db) {
		return "sesame-demo.key"
	}
	return strings.TrimSuffix(db, filepath.Ext(db)) + ".key"
}

// LoadKey reads the demo's key from path or, the first time, creates the
// file, readable by its owner only, with a fresh random key in base64 (the
// form SESAME_SECRET_KEY takes). created says which happened.
func LoadKey(path string, random io.Reader) (key []byte, created bool, err error) {
	if body, err := os.ReadFile(path); err == nil { // #nosec G304 -- the demo's own file, named after its database
		key, err := secret.ParseKey(string(body))
		if err != nil {
			return nil, false, fmt.Errorf("demo key %s: %w; delete it with the database to start afresh", path, err)
		}
		return key, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("demo key: %w", err)
	}
	key = make([]byte, secret.KeySize)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, false, fmt.Errorf("demo key: %w", err)
	}
	// O_EXCL: two demos started at once on one directory must not each
	// write their own key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- see above
	if err != nil {
		return nil, false, fmt.Errorf("demo key: %w", err)
	}
	if _, err := fmt.Fprintln(f, base64.StdEncoding.EncodeToString(key)); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("demo key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("demo key %s: %w", path, err)
	}
	return key, true, nil
}
