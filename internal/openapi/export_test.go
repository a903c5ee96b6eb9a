package openapi

// Generated is the generated document, as compiled in.
var Generated = generated

// RoutesOf and NameParameters let the tests read routes from a document
// of their choosing: the generated one, or the one nameParameters names.
var (
	RoutesOf       = routes
	NameParameters = nameParameters
)
