package saml

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"strconv"
	"time"

	"github.com/bdf29/sesame/internal/store"
)

// keyBits is the size of the signing key: 2048-bit RSA with SHA-256 is what
// every SAML service provider verifies, mod_auth_mellon's Lasso included.
const keyBits = 2048

// certificateLife is how long the self-signed certificate says it is valid.
// Service providers take the key from the metadata and do not check these
// dates, but some tools warn on an expired certificate: it outlives the
// deployment.
const certificateLife = 30 * 365 * 24 * time.Hour

// identity is the identity provider's key, certificate and pairwise salt,
// ready to use.
type identity struct {
	key  crypto.Signer
	cert *x509.Certificate
	salt []byte
}

// newIdentity makes the key, its self-signed certificate and the pairwise
// salt: once in the life of a network (see store.SAMLIdentity).
func newIdentity(random io.Reader, now time.Time, baseURL string) (store.SAMLIdentity, error) {
	key, err := rsa.GenerateKey(random, keyBits)
	if err != nil {
		return store.SAMLIdentity{}, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(random, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return store.SAMLIdentity{}, fmt.Errorf("serial number: %w", err)
	}
	host := baseURL
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"Sésame"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certificateLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(random, template, template, &key.PublicKey, key)
	if err != nil {
		return store.SAMLIdentity{}, fmt.Errorf("self-sign certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return store.SAMLIdentity{}, fmt.Errorf("encode key: %w", err)
	}
	salt := make([]byte, 32)
	if _, err := io.ReadFull(random, salt); err != nil {
		return store.SAMLIdentity{}, fmt.Errorf("pairwise salt: %w", err)
	}
	return store.SAMLIdentity{
		Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		Key:         string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		Salt:        base64.StdEncoding.EncodeToString(salt),
	}, nil
}

// parseIdentity reads what the store keeps.
func parseIdentity(stored store.SAMLIdentity) (*identity, error) {
	block, _ := pem.Decode([]byte(stored.Certificate))
	if block == nil {
		return nil, errors.New("saml certificate: not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("saml certificate: %w", err)
	}
	block, _ = pem.Decode([]byte(stored.Key))
	if block == nil {
		return nil, errors.New("saml key: not PEM")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("saml key: %w", err)
	}
	key, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("saml key: %T cannot sign", parsed)
	}
	salt, err := base64.StdEncoding.DecodeString(stored.Salt)
	if err != nil || len(salt) < 16 {
		return nil, errors.New("saml pairwise salt: damaged")
	}
	return &identity{key: key, cert: cert, salt: salt}, nil
}

// pairwiseID is the patron's NameID for one vendor: stable for that vendor,
// unrelated to the one any other vendor gets, and telling nothing of the
// patron (not the e-mail, not the card number, not our id).
func (id *identity) pairwiseID(spEntityID string, patronID int64) string {
	mac := hmac.New(sha256.New, id.salt)
	mac.Write([]byte(spEntityID))
	mac.Write([]byte{0})
	mac.Write([]byte(strconv.FormatInt(patronID, 10)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
