// Package aip implements the API conventions every service shares (Google
// AIPs 122, 132, 134, 158): resource names, client-chosen ids, page sizes and
// tokens, and update masks. Errors are errs.Invalid naming the request field.
package aip

import (
	"crypto/rand"
	"encoding/base64"
	"regexp"
	"strings"

	"github.com/raccordo/raccordo/internal/errs"
)

// Page sizes (AIP-158).
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

var idPattern = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// CheckID validates a client-chosen resource id: lowercase letters, digits
// and hyphens, starting with a letter, at most 63 characters (AIP-122).
func CheckID(field, id string) error {
	if !idPattern.MatchString(id) {
		return errs.InvalidField(field, "%q is not a valid id: use 1-63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen", errs.Clip(id, errs.MaxEcho))
	}
	return nil
}

// NewID returns a random id that satisfies CheckID.
func NewID() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	const alnum = letters + "0123456789"
	b := make([]byte, 16)
	rand.Read(b)
	out := make([]byte, len(b))
	out[0] = letters[int(b[0])%len(letters)]
	for i := 1; i < len(b); i++ {
		out[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(out)
}

// ParseRegion returns the region id of a parent "regions/{region}".
func ParseRegion(field, parent string) (string, error) {
	region, ok := strings.CutPrefix(parent, "regions/")
	if !ok || region == "" || strings.Contains(region, "/") {
		return "", errs.InvalidField(field, "%q is not a region name: want regions/{region}", errs.Clip(parent, errs.MaxEcho))
	}
	return region, nil
}

// ParseName splits "regions/{region}/{collection}/{id}" and checks the
// collection.
func ParseName(field, name, collection string) (region, id string, err error) {
	// Cut, not Split: names are parsed on every call, and Split allocates.
	rest, ok := strings.CutPrefix(name, "regions/")
	region, rest, ok2 := strings.Cut(rest, "/")
	coll, id, ok3 := strings.Cut(rest, "/")
	if !ok || !ok2 || !ok3 || region == "" || coll != collection || id == "" || strings.Contains(id, "/") {
		return "", "", errs.InvalidField(field, "%q is not a valid name: want regions/{region}/%s/{id}", errs.Clip(name, errs.MaxEcho), collection)
	}
	return region, id, nil
}

// Name builds "regions/{region}/{collection}/{id}".
func Name(region, collection, id string) string {
	return "regions/" + region + "/" + collection + "/" + id
}

// PageSize validates a requested page size and applies the default and the
// maximum.
func PageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, errs.InvalidField("page_size", "must not be negative, got %d", n)
	case n == 0:
		return DefaultPageSize, nil
	case n > MaxPageSize:
		return MaxPageSize, nil
	}
	return int(n), nil
}

// The page token is opaque to clients: a version byte and the position it
// resumes after, base64url-encoded.
const tokenVersion = 'p'

// EncodeToken makes a page token that resumes after position.
func EncodeToken(position string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{tokenVersion}, position...))
}

// DecodeToken returns the position a page token resumes after; "" for the
// first page.
func DecodeToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	position, ok := decodeVersioned(token, tokenVersion)
	if !ok {
		return "", errs.InvalidField("page_token", "is not a token returned by this server")
	}
	return position, nil
}

// decodeVersioned returns what follows the version byte of a token of that
// version, accepting only the exact form the server issues: encoding/base64
// would also accept line breaks and stray trailing bits.
func decodeVersioned(token string, version byte) (string, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || strings.ContainsAny(token, "\r\n") || len(b) < 2 || b[0] != version {
		return "", false
	}
	return string(b[1:]), true
}
