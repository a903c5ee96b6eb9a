package openapi

import (
	"encoding/json"
	"fmt"
	"strings"
)

// conditionalHeaders writes into the generated document's operations what
// REST's conditional requests (ADR 0026, internal/server/restconditional.go)
// are for each: protoc-gen-openapiv2 knows nothing of them. It decides by
// each operation's shape, as the server does:
//   - a GET whose answer has an etag: the If-None-Match header, the 304 and
//     the ETag of its 200;
//   - a create (a POST to a collection: its path's last segment a literal,
//     no custom verb): If-None-Match "*", 412 when the name is taken, and
//     the ETag of the resource it made;
//   - any other write that takes an etag (a body with one, or ?etag= on a
//     DELETE): If-Match, 412 when it is stale, and the ETag of its answer
//     when that has an etag.
//
// Every other operation lists neither the headers nor the 412.
// TestConditionalHeadersDocumented (internal/server) checks the server
// agrees, route by route.
func conditionalHeaders(gen []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(gen, &doc); err != nil {
		return nil, fmt.Errorf("generated document: %w", err)
	}
	defs, _ := doc["definitions"].(map[string]any)
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			op, ok := op.(map[string]any)
			if !ok {
				continue
			}
			responses, _ := op["responses"].(map[string]any)
			ok200, _ := responses["200"].(map[string]any)
			tagged := hasEtag(defs, ok200["schema"])
			var param string
			switch {
			case method == "get" && tagged:
				param = "ifNoneMatch"
				responses["304"] = map[string]any{"$ref": "#/responses/NotModified"}
			case method == "get":
			case method == "post" && isCollection(path):
				param = "ifNoneMatchCreate"
			case takesEtag(defs, op):
				param = "ifMatch"
			}
			if param == "" {
				continue
			}
			params, _ := op["parameters"].([]any)
			op["parameters"] = append(params, map[string]any{"$ref": "#/parameters/" + param})
			if method != "get" {
				responses["412"] = map[string]any{"$ref": "#/responses/PreconditionFailed"}
			}
			if tagged {
				ok200["headers"] = map[string]any{"ETag": map[string]any{"type": "string",
					"description": "The resource's etag, quoted: send it in If-Match to guard a write, in If-None-Match to read it again only if it changed."}}
			}
		}
	}
	return json.Marshal(doc)
}

// isCollection reports whether path ends in a collection: its last
// segment a literal, with no custom verb (/v1/regions/{region}/partners).
func isCollection(path string) bool {
	last := path[strings.LastIndexByte(path, '/')+1:]
	return !strings.HasPrefix(last, "{") && !strings.Contains(last, ":")
}

// takesEtag reports whether the operation op sends an etag: in its query
// (a DELETE's ?etag=) or in its body.
func takesEtag(defs map[string]any, op map[string]any) bool {
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		p, _ := p.(map[string]any)
		switch p["in"] {
		case "query":
			if p["name"] == "etag" {
				return true
			}
		case "body":
			if hasEtag(defs, p["schema"]) {
				return true
			}
		}
	}
	return false
}

// hasEtag reports whether schema, inline or a reference into defs, has an
// etag property.
func hasEtag(defs map[string]any, schema any) bool {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		s, _ = defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
	}
	props, _ := s["properties"].(map[string]any)
	_, ok := props["etag"]
	return ok
}
