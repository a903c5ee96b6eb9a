package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, two passes, one
// lane). They are stored with each hash, so raising them later keeps old
// hashes verifiable.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// PasswordCost is the argon2id cost of the password hashes a server makes.
// The zero value is the constants above, the only cost famid uses; the
// one other is TestPasswordCost. The fields are unexported so that no
// flag, environment variable or config file can lower it: a cost is one
// of these two values, chosen in Go. Every hash carries its cost, so any
// server checks a hash made at either.
type PasswordCost struct{ memoryKiB, passes uint32 }

// TestPasswordCost is argon2id at its least, 8 KiB and one pass: for tests
// only, where it protects nothing. The tests that start servers
// (internal/server/servertest) create accounts and log in by the hundred:
// at the real cost the hashes took 6.5% of internal/server's test CPU and
// 13% of internal/web's (docs/benchmarks.md, "Test cost"). Never for a
// server that keeps real passwords.
var TestPasswordCost = PasswordCost{memoryKiB: 8, passes: 1}

// HashPassword returns an argon2id hash in the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func HashPassword(password string) (string, error) { return PasswordCost{}.Hash(password) }

// Hash returns an argon2id hash of password at cost c, in the PHC string
// format ($argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>$<hash>).
func (c PasswordCost) Hash(password string) (string, error) {
	mem, passes := uint32(argonMemoryKiB), uint32(argonTime)
	if c != (PasswordCost{}) {
		mem, passes = c.memoryKiB, c.passes
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, passes, mem, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, mem, passes, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a hash made by
// HashPassword, in constant time.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("not an argon2id hash")
	}
	var version int
	var mem, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &time, &threads); err != nil {
		return false, errors.New("bad argon2 parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, time, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
