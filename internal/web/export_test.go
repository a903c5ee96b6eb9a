package web

// ErrorInfo is errorInfo, for the package's external tests: the one
// reading of a refusal's google.rpc.ErrorInfo.
var ErrorInfo = errorInfo
