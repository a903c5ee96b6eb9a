package server

import (
	"net/http"

	connectcors "connectrpc.com/cors"
	"github.com/rs/cors"
)

// withCORS lets the configured browser origins call the API cross-site:
// REST, Connect and gRPC-Web alike. With no origins it adds nothing, so a
// browser on another site cannot read any answer. Credentials are bearer
// tokens in the Authorization header, never cookies, so
// Access-Control-Allow-Credentials stays off.
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		// Connect and gRPC-Web need GET and POST; REST also the others.
		AllowedMethods: append(connectcors.AllowedMethods(), http.MethodPut, http.MethodPatch, http.MethodDelete),
		AllowedHeaders: append(connectcors.AllowedHeaders(),
			"Authorization", "If-Match", "If-None-Match", "Traceparent", "Tracestate", "X-Accept-Content-Transfer-Encoding"),
		// What a script may read: the gRPC status of Connect and gRPC-Web
		// calls, and the REST headers the API documents.
		ExposedHeaders: append(connectcors.ExposedHeaders(),
			"ETag", "Retry-After", "WWW-Authenticate", "Content-Disposition", "X-Raccordo-Revision"),
		MaxAge: 2 * 60 * 60,
	}).Handler(next)
}
