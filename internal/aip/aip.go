// Package aip implements the API conventions every service shares (Google
// AIPs 122, 132, 134, 158): resource names, client-chosen ids, page sizes and
// tokens, and update masks. Errors are errs.Invalid naming the request field.
package aip

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

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

// The page token is opaque to clients: a version byte, the key of the
// request it answers (requestKey), the position it resumes after and a
// check of the three (tokenCheck), base64url-encoded. Version 'p' tokens
// carried no key, version 'q' tokens no check; both are refused as out of
// date.
const (
	tokenVersion     = 'r'
	oldTokenVersions = "pq"
)

// checkSize is the length of a token's check: a token cut short or with a
// character changed passes it by chance once in four billion.
const checkSize = 4

// keySize is the length of a request key in a token: enough that two
// different requests of one caller do not share a key by chance, short
// enough to keep tokens short.
const keySize = 8

// requestKey identifies a List request by everything but its page_token,
// page_size and read_mask (AIP-158: only those may change from one page
// to the next): a hash of its message type and of its deterministic encoding with
// those two fields cleared. The type is part of it, so that two methods
// whose requests encode alike (a parent alone) have different keys.
func requestKey(req proto.Message) string {
	m := proto.Clone(req).ProtoReflect()
	fields := m.Descriptor().Fields()
	// A read mask (AIP-157) chooses the fields of each item answered,
	// never which items: a token holds whatever mask the next page asks.
	for _, name := range []protoreflect.Name{"page_token", "page_size", "read_mask"} {
		if f := fields.ByName(name); f != nil {
			m.Clear(f)
		}
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.Interface())
	if err != nil {
		// A request the server has decoded always encodes again; keep
		// tokens of such a request apart from every other anyway.
		b = []byte(err.Error())
	}
	h := sha256.New()
	h.Write([]byte(m.Descriptor().FullName()))
	h.Write([]byte{0})
	h.Write(b)
	return string(h.Sum(nil)[:keySize])
}

// PagedRequest is a request that pages with page_size and page_token
// (AIP-158).
type PagedRequest interface {
	proto.Message
	GetPageSize() int32
	GetPageToken() string
}

// EncodeToken makes the page token of the next page of req: it resumes
// after position, and only for a request that differs from req in
// page_token and page_size alone.
func EncodeToken(req proto.Message, position string) string {
	return encodeKeyed(tokenVersion, requestKey(req), position)
}

// DecodeToken returns the position req's page token resumes after; "" for
// the first page. A token issued for another request (another parent,
// filter, order or method) is refused, naming page_token.
func DecodeToken(req PagedRequest) (string, error) {
	return decodeKeyed(tokenVersion, oldTokenVersions, requestKey(req), req.GetPageToken())
}

func encodeKeyed(version byte, key, position string) string {
	b := make([]byte, 0, 1+len(key)+len(position)+checkSize)
	b = append(append(append(b, version), key...), position...)
	return base64.RawURLEncoding.EncodeToString(append(b, tokenCheck(b)...))
}

// tokenCheck is the check that ends a token of body: the first checkSize
// bytes of body's SHA-256. A token cut short (copied in part, clipped by a
// log or a form) decoded to a shorter position, and a List resumed from a
// place no page ended at, repeating or skipping items, with no error. It
// is no signature: a client that forges a whole token only pages through
// what it may read anyway.
func tokenCheck(body []byte) []byte {
	sum := sha256.Sum256(body)
	return sum[:checkSize]
}

// decodeKeyed returns the position of a token of version issued for the
// request of key; "" for no token, and for a token of an empty position:
// the one of a region's page of a national one that ended before its
// first item, the national page being full (Page.Take). A token of an old
// version (one of olds) is refused as out of date, one of another request
// as such.
func decodeKeyed(version byte, olds, key, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	rest, ok := decodeVersioned(token, version)
	if ok {
		rest, ok = checked(rest, version)
	}
	switch {
	case ok && len(rest) >= keySize && rest[:keySize] == key:
		return rest[keySize:], nil
	case ok && len(rest) >= keySize:
		return "", errs.InvalidField("page_token", "was issued for another request: send it again with the same parent, filters and order as the request that returned it (only page_size may change), or list again without page_token")
	}
	for i := range len(olds) {
		if _, ok := decodeVersioned(token, olds[i]); ok {
			return "", errOutOfDate()
		}
	}
	return "", ErrForeignToken()
}

// ErrForeignToken refuses a page token this server did not issue, or one
// altered or cut short: every List's one answer to it, whichever way its
// tokens are made.
func ErrForeignToken() error {
	return errs.InvalidField("page_token", "is not a token returned by this server")
}

// errOutOfDate refuses a page token an earlier version of the server
// issued, which this one no longer reads.
func errOutOfDate() error {
	return errs.InvalidField("page_token", "was issued by an earlier version of this server: list again without page_token")
}

// checked returns rest, what follows a token's version byte, without its
// check, and whether the check holds (tokenCheck).
func checked(rest string, version byte) (string, bool) {
	n := len(rest) - checkSize
	if n < 0 || string(tokenCheck([]byte(string(version)+rest[:n]))) != rest[n:] {
		return "", false
	}
	return rest[:n], true
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
