package aip

// EncodeAcross lets the fuzz test spell the tokens the server issues for
// the national request req.
func EncodeAcross(req ListRequest, region, inner string) string {
	return encodeAcross(requestKey(req), region, inner)
}
