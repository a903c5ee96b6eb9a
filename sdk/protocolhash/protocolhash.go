// Package protocolhash computes the content hash of a protocol of
// collaboration: the SHA-256 of the canonical form of what its parties sign
// (docs/protocol-content-hash.md). The server sets a protocol's
// content_hash with it when the text is frozen; integrators use the same
// code to check, without trusting the server, that the text they hold is
// the text that was signed.
//
// It imports nothing but the generated messages, so both the server and
// code outside this module can use it.
package protocolhash

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// Format names the canonical form of a protocol's signed content
// described in docs/protocol-content-hash.md. It is part of the hashed
// document, so a later form can never yield the hash of an earlier one.
const Format = "raccordo.protocol-content.v1"

// Of returns the lowercase hex SHA-256 of Canonical(p): the content_hash a
// protocol gets when it is opened for signature.
func Of(p *famiv1.Protocol) string {
	sum := sha256.Sum256(Canonical(p))
	return hex.EncodeToString(sum[:])
}

// ErrDraft is returned by Verify for a protocol that has no content hash
// yet: a draft, whose text can still change and cannot be signed.
var ErrDraft = errors.New("protocolhash: the protocol is a draft: it has no content hash")

// Verify checks that p's text is the text its signers signed: that
// p.content_hash is Of(p), and that every signature records that same
// hash. It returns ErrDraft for a draft, and an error naming the first
// mismatch otherwise.
func Verify(p *famiv1.Protocol) error {
	if p.GetContentHash() == "" {
		return ErrDraft
	}
	got := Of(p)
	if p.GetContentHash() != got {
		return fmt.Errorf("protocolhash: %s: content_hash %s is not the hash of its text (%s)", p.GetName(), p.GetContentHash(), got)
	}
	for _, s := range p.GetSignatures() {
		if s.GetContentHash() != got {
			return fmt.Errorf("protocolhash: %s: the signature of %s is for content hash %s, not %s", p.GetName(), s.GetParty(), s.GetContentHash(), got)
		}
	}
	return nil
}

// Canonical encodes what the parties of p sign as one JSON object in
// the canonical form of RFC 8785 (JCS): members sorted by key, no
// whitespace, strings with the minimal escapes, integers in decimal. The
// members are, in that order: body, format, name, objectives, parties (in
// the protocol's order, each with commitments, partner, role, role_label),
// title, valid_from, valid_until, version. Every member is always present;
// an unset text is "". Nothing else (network, themes, signatures, times)
// is signed.
//
// The encoding depends only on the field values, never on protobuf bytes,
// so it stays the same across restarts and server versions.
func Canonical(p *famiv1.Protocol) []byte {
	b := make([]byte, 0, 512+len(p.GetBody())+len(p.GetObjectives()))
	b = append(b, '{')
	b = textMember(b, "body", p.GetBody(), true)
	b = textMember(b, "format", Format, false)
	b = textMember(b, "name", p.GetName(), false)
	b = textMember(b, "objectives", p.GetObjectives(), false)
	b = member(b, "parties", false)
	b = append(b, '[')
	for i, party := range p.GetParties() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = textMember(b, "commitments", party.GetCommitments(), true)
		b = textMember(b, "partner", party.GetPartner(), false)
		b = textMember(b, "role", party.GetRole().String(), false)
		b = textMember(b, "role_label", party.GetRoleLabel(), false)
		b = append(b, '}')
	}
	b = append(b, ']')
	b = textMember(b, "title", p.GetTitle(), false)
	b = textMember(b, "valid_from", p.GetValidFrom(), false)
	b = textMember(b, "valid_until", p.GetValidUntil(), false)
	b = member(b, "version", false)
	b = strconv.AppendInt(b, int64(p.GetVersion()), 10)
	return append(b, '}')
}

// member appends an object member's key and colon, after a comma unless it
// is the first.
func member(b []byte, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = jsonString(b, key)
	return append(b, ':')
}

// textMember appends an object member whose value is the text s.
func textMember(b []byte, key, s string, first bool) []byte {
	return jsonString(member(b, key, first), s)
}

// jsonString appends s as a JSON string the way RFC 8785 (and ECMAScript's
// JSON.stringify) does: '"' and '\' escaped, the control characters
// U+0000-U+001F as \b \t \n \f \r or \u00xx (lowercase hex), every other
// character as its UTF-8 bytes, unescaped. Invalid UTF-8 (which validation
// refuses before a text is frozen) is written as U+FFFD.
func jsonString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch e := shortEscape(r); {
		case e != 0:
			b = append(b, '\\', e)
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// shortEscape is the character after the backslash of r's two-character
// escape in RFC 8785; 0 when r has none.
func shortEscape(r rune) byte {
	switch r {
	case '"', '\\':
		return byte(r)
	case '\b':
		return 'b'
	case '\t':
		return 't'
	case '\n':
		return 'n'
	case '\f':
		return 'f'
	case '\r':
		return 'r'
	}
	return 0
}
