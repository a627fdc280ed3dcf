package oidc

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/bdf29/sesame/internal/store"
)

// The two secrets of the provider, which never rotate: the key that
// encrypts codes and access tokens, and the key of the pairwise subjects.
const (
	tokenKeySlot    = "token"
	pairwiseKeySlot = "pairwise"
)

// keysCacheFor is how long an instance trusts the keys it read: another
// instance's new key is published here at most that late, and is used by
// none before its period starts.
const keysCacheFor = time.Minute

// keyring holds the provider's keys. The database is the truth that every
// instance shares; the keyring only keeps what it read a short while, parsed.
//
// A signing key belongs to a slot: its algorithm and a rotation period
// (number of periods since 1970). The key of the current period signs; the
// next period's key is created and published a little before that period
// starts, so that vendors caching the JWKS know it before they see it; a
// key stays published one whole period after its own ended, far longer than
// any ID token lives.
type keyring struct {
	store    *store.Store
	now      func() time.Time
	random   io.Reader
	rotation time.Duration

	mu       sync.Mutex
	readAt   time.Time
	keys     map[string]*ringKey // by slot
	tokenKey op.Crypto           // never rotates: kept once read
}

// ringKey is a stored key, parsed.
type ringKey struct {
	store.OIDCKey
	private any // *rsa.PrivateKey or *ecdsa.PrivateKey for signing keys
	public  jose.JSONWebKey
	secret  []byte // for the token and pairwise keys
}

func (k *ringKey) SignatureAlgorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.Algorithm)
}
func (k *ringKey) Key() any   { return k.private }
func (k *ringKey) ID() string { return k.OIDCKey.ID }

// publicKey is a key of the JWKS.
type publicKey struct{ jwk jose.JSONWebKey }

func (k publicKey) ID() string { return k.jwk.KeyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.jwk.Algorithm)
}
func (k publicKey) Use() string { return k.jwk.Use }
func (k publicKey) Key() any    { return k.jwk.Key }

func (r *keyring) period(t time.Time) int64 { return t.Unix() / int64(r.rotation/time.Second) }

func (r *keyring) periodStart(n int64) time.Time {
	return time.Unix(n*int64(r.rotation/time.Second), 0).UTC()
}

func signingSlot(alg jose.SignatureAlgorithm, period int64) string {
	return fmt.Sprintf("%s:%d", alg, period)
}

// prepublish is how long before its period a signing key is published.
func (r *keyring) prepublish() time.Duration { return min(24*time.Hour, r.rotation/4) }

// load returns the keys by slot, read again when the cache is old or when
// fresh is set.
func (r *keyring) load(ctx context.Context, fresh bool) (map[string]*ringKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if !fresh && r.keys != nil && now.Sub(r.readAt) < keysCacheFor && !now.Before(r.readAt) {
		return r.keys, nil
	}
	stored, err := r.store.OIDCKeys(ctx)
	if err != nil {
		return nil, err
	}
	keys := make(map[string]*ringKey, len(stored))
	for _, s := range stored {
		if old, ok := r.keys[s.Slot]; ok && old.OIDCKey.ID == s.ID {
			keys[s.Slot] = old // parsing an RSA key costs: keep what was parsed
			continue
		}
		k, err := parseKey(s)
		if err != nil {
			return nil, err
		}
		keys[s.Slot] = k
	}
	r.keys, r.readAt = keys, now
	return keys, nil
}

func parseKey(s store.OIDCKey) (*ringKey, error) {
	k := &ringKey{OIDCKey: s}
	raw, err := base64.StdEncoding.DecodeString(s.Private)
	if err != nil {
		return nil, fmt.Errorf("oidc key %s: %w", s.ID, err)
	}
	if s.PublicJWK == "" {
		k.secret = raw
		return k, nil
	}
	if k.private, err = x509.ParsePKCS8PrivateKey(raw); err != nil {
		return nil, fmt.Errorf("oidc key %s: %w", s.ID, err)
	}
	if err := json.Unmarshal([]byte(s.PublicJWK), &k.public); err != nil {
		return nil, fmt.Errorf("oidc key %s public part: %w", s.ID, err)
	}
	return k, nil
}

// key returns the key of a slot, creating it with create when no instance
// did yet.
func (r *keyring) key(ctx context.Context, slot string, create func() (store.OIDCKey, error)) (*ringKey, error) {
	keys, err := r.load(ctx, false)
	if err != nil {
		return nil, err
	}
	if k, ok := keys[slot]; ok {
		return k, nil
	}
	if keys, err = r.load(ctx, true); err != nil {
		return nil, err
	}
	if k, ok := keys[slot]; ok {
		return k, nil
	}
	k, err := create()
	if err != nil {
		return nil, err
	}
	k.Slot = slot
	// Another instance may create the same slot at this moment: the store
	// keeps the first, and all read that one back.
	if err := r.store.AddOIDCKey(ctx, k); err != nil {
		return nil, err
	}
	if keys, err = r.load(ctx, true); err != nil {
		return nil, err
	}
	if k, ok := keys[slot]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("oidc key %s: saved but not found", slot)
}

// signing returns the key that signs with alg now, publishing the next
// period's key when that period is near.
func (r *keyring) signing(ctx context.Context, alg jose.SignatureAlgorithm) (*ringKey, error) {
	now := r.now()
	n := r.period(now)
	k, err := r.key(ctx, signingSlot(alg, n), func() (store.OIDCKey, error) { return r.newSigningKey(alg, n) })
	if err != nil {
		return nil, err
	}
	if r.periodStart(n+1).Sub(now) <= r.prepublish() {
		if _, err := r.key(ctx, signingSlot(alg, n+1), func() (store.OIDCKey, error) { return r.newSigningKey(alg, n+1) }); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// newSigningKey generates the key of a period: it expires, leaving the
// JWKS, a whole period after its own ended.
func (r *keyring) newSigningKey(alg jose.SignatureAlgorithm, period int64) (store.OIDCKey, error) {
	var private crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		private, err = rsa.GenerateKey(r.random, 2048)
	case jose.ES256:
		private, err = ecdsa.GenerateKey(elliptic.P256(), r.random)
	default:
		return store.OIDCKey{}, fmt.Errorf("oidc: no key for %s", alg)
	}
	if err != nil {
		return store.OIDCKey{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(private)
	if err != nil {
		return store.OIDCKey{}, fmt.Errorf("encode %s key: %w", alg, err)
	}
	jwk := jose.JSONWebKey{Key: private.Public(), Algorithm: string(alg), Use: "sig"}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return store.OIDCKey{}, fmt.Errorf("thumbprint of %s key: %w", alg, err)
	}
	// The RFC 7638 thumbprint, so that a kid says which key it is.
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	public, err := jwk.MarshalJSON()
	if err != nil {
		return store.OIDCKey{}, fmt.Errorf("encode %s public key: %w", alg, err)
	}
	return store.OIDCKey{ID: jwk.KeyID, Algorithm: string(alg), PublicJWK: string(public),
		Private: base64.StdEncoding.EncodeToString(der), ExpiresAt: r.periodStart(period + 2)}, nil
}

// secret returns one of the two secrets, created on first use.
func (r *keyring) secret(ctx context.Context, slot string) ([]byte, error) {
	k, err := r.key(ctx, slot, func() (store.OIDCKey, error) {
		b := make([]byte, 32)
		if _, err := io.ReadFull(r.random, b); err != nil {
			return store.OIDCKey{}, fmt.Errorf("oidc secret: %w", err)
		}
		id := make([]byte, 12)
		if _, err := io.ReadFull(r.random, id); err != nil {
			return store.OIDCKey{}, fmt.Errorf("oidc secret: %w", err)
		}
		return store.OIDCKey{ID: slot + "-" + base64.RawURLEncoding.EncodeToString(id), Algorithm: "secret",
			Private: base64.StdEncoding.EncodeToString(b)}, nil
	})
	if err != nil {
		return nil, err
	}
	return k.secret, nil
}

// publicKeys is the JWKS: every signing key not expired. The current RS256
// key is made first, so that the set is never empty.
func (r *keyring) publicKeys(ctx context.Context) ([]op.Key, error) {
	if _, err := r.signing(ctx, jose.RS256); err != nil {
		return nil, err
	}
	keys, err := r.load(ctx, false)
	if err != nil {
		return nil, err
	}
	var signing []*ringKey
	for _, k := range keys {
		if k.PublicJWK != "" {
			signing = append(signing, k)
		}
	}
	// Oldest first: a stable JWKS.
	slices.SortFunc(signing, func(a, b *ringKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.OIDCKey.ID, b.OIDCKey.ID))
	})
	out := make([]op.Key, len(signing))
	for i, k := range signing {
		out[i] = publicKey{k.public}
	}
	return out, nil
}

// tokenCrypto encrypts codes and access tokens with the key every instance
// shares. op.Crypto gives no context: the key is read once, without one,
// and kept, since it never changes.
type tokenCrypto struct{ ring *keyring }

func (c tokenCrypto) crypto() (op.Crypto, error) {
	c.ring.mu.Lock()
	cached := c.ring.tokenKey
	c.ring.mu.Unlock()
	if cached != nil {
		return cached, nil
	}
	secret, err := c.ring.secret(context.Background(), tokenKeySlot)
	if err != nil {
		return nil, err
	}
	var key [32]byte
	copy(key[:], secret)
	cr := op.NewAES256GCMCrypto(key, tokenKeySlot)
	c.ring.mu.Lock()
	c.ring.tokenKey = cr
	c.ring.mu.Unlock()
	return cr, nil
}

func (c tokenCrypto) Encrypt(s string) (string, error) {
	cr, err := c.crypto()
	if err != nil {
		return "", err
	}
	return cr.Encrypt(s)
}

func (c tokenCrypto) Decrypt(s string) (string, error) {
	cr, err := c.crypto()
	if err != nil {
		return "", err
	}
	return cr.Decrypt(s)
}
