package aip

import "encoding/base64"

// EncodeAcross lets the fuzz test spell the tokens the server issues for
// the national request req.
func EncodeAcross(req ListRequest, region, inner string) string {
	return encodeAcross(requestKey(req), region, inner)
}

// TokenWithoutCheck spells a token of req as the server issued them before
// tokens ended with a check (version 'q').
func TokenWithoutCheck(req ListRequest, position string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("q" + requestKey(req) + position))
}
