// Package auth authenticates callers: it keeps the server's signing keys,
// issues and verifies JWTs, hashes passwords and rate-limits failed logins.
// Authorisation (who may call what) is built from the rules of policy.go;
// each capability declares the rows for its own RPCs (its rights.go).
package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raccordo/raccordo/internal/atomicfile"
)

// KeyDir is where the signing keys live inside the data dir. They are plain
// files, not bbolt records, so famictl can read them while famid holds the
// bbolt locks.
const KeyDir = "keys"

// KeySet holds the Ed25519 keys: the newest signs, all of them verify, so a
// rotation does not invalidate tokens signed by the previous key.
type KeySet struct {
	dir string

	mu         sync.RWMutex
	public     map[string]ed25519.PublicKey
	currentKID string
	current    ed25519.PrivateKey
	lastReload time.Time
}

// ErrNoKeys is returned by LoadKeys when the data dir has no signing key.
var ErrNoKeys = errors.New("no signing key in the data dir (start famid once to create one)")

// LoadOrCreateKeys loads the data dir's keys, creating the first one when
// there is none.
func LoadOrCreateKeys(dataDir string) (*KeySet, error) {
	ks, err := LoadKeys(dataDir)
	if errors.Is(err, ErrNoKeys) {
		if _, err := RotateKey(dataDir, time.Now()); err != nil {
			return nil, err
		}
		return LoadKeys(dataDir)
	}
	return ks, err
}

// LoadKeys loads the data dir's keys; ErrNoKeys when there are none.
func LoadKeys(dataDir string) (*KeySet, error) {
	ks := &KeySet{dir: filepath.Join(dataDir, KeyDir)}
	if err := ks.reload(); err != nil {
		return nil, err
	}
	return ks, nil
}

// RotateKey creates a new signing key, which becomes the current one; the
// older keys keep verifying. It returns the new key id.
func RotateKey(dataDir string, now time.Time) (string, error) {
	dir := filepath.Join(dataDir, KeyDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create key dir: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	kid := Thumbprint(pub)
	// The UTC timestamp prefix orders the files: the last one is current.
	file := filepath.Join(dir, now.UTC().Format("20060102T150405.000000000Z")+"-"+kid+".pem")
	// Written whole: a key file cut short by a crash would stop every
	// later start (reload reads every .pem).
	if err := atomicfile.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", fmt.Errorf("write key: %w", err)
	}
	return kid, nil
}

// Thumbprint is the RFC 7638 JWK thumbprint of an Ed25519 public key, used
// as its key id.
func Thumbprint(pub ed25519.PublicKey) string {
	// The canonical JWK has its required members in lexicographic order.
	canon := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Reload reads the key directory again, at once: a process that has just
// written a key into it (the keys of a shared store, downloaded when its
// watch reports them) verifies with that key from then on, rather than
// at the first unknown key id after publicKey's wait, up to five seconds
// on; and signs with it if it is the newest, as after that read.
func (ks *KeySet) Reload() error { return ks.reload() }

func (ks *KeySet) reload() error {
	entries, err := os.ReadDir(ks.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read key dir: %w", err)
	}
	var names []string // in name order (os.ReadDir sorts): the last, the newest, signs
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".pem") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return ErrNoKeys
	}
	public := make(map[string]ed25519.PublicKey, len(names))
	var curKID string
	var cur ed25519.PrivateKey
	for _, n := range names {
		priv, err := readKey(filepath.Join(ks.dir, n))
		if err != nil {
			return err
		}
		kid := Thumbprint(priv.Public().(ed25519.PublicKey))
		public[kid] = priv.Public().(ed25519.PublicKey)
		curKID, cur = kid, priv
	}
	ks.mu.Lock()
	ks.public, ks.currentKID, ks.current, ks.lastReload = public, curKID, cur, time.Now()
	ks.mu.Unlock()
	return nil
}

func readKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("key %s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key %s: not an Ed25519 key", path)
	}
	return priv, nil
}

// signer returns the current key and its id.
func (ks *KeySet) signer() (string, ed25519.PrivateKey) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.currentKID, ks.current
}

// publicKey returns the key with id kid. An unknown id makes the set re-read
// its directory (at most every few seconds), so a key added by
// `famictl key rotate` verifies without a restart.
func (ks *KeySet) publicKey(kid string) (ed25519.PublicKey, bool) {
	ks.mu.RLock()
	k, ok := ks.public[kid]
	stale := time.Since(ks.lastReload) > 5*time.Second
	ks.mu.RUnlock()
	if ok || !stale {
		return k, ok
	}
	if err := ks.reload(); err != nil {
		return nil, false
	}
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	k, ok = ks.public[kid]
	return k, ok
}

// JWKS returns the public keys as a JSON Web Key Set (RFC 7517, OKP keys
// per RFC 8037).
func (ks *KeySet) JWKS() []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
	}
	ks.mu.RLock()
	keys := make([]jwk, 0, len(ks.public))
	for kid, pub := range ks.public {
		keys = append(keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: kid, Use: "sig", Alg: "EdDSA"})
	}
	ks.mu.RUnlock()
	slices.SortFunc(keys, func(a, b jwk) int { return strings.Compare(a.Kid, b.Kid) })
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}
