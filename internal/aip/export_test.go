package aip

// EncodeAcross lets the fuzz test spell the tokens the server issues.
var EncodeAcross = encodeAcross
