package server

import "connectrpc.com/connect"

// The surfaces a call is recorded under: its access line's protocol, its
// metrics' surface label and its span's raccordo.surface. Every record,
// of a call the pipeline ran or of one refused before it (at the
// concurrency limit, before its body was decoded, on the in-process
// connection), takes its surface from here, so that a surface's refusals
// and its served calls add up in the same series.
const (
	// surfaceGRPC is gRPC, on the gRPC port or the HTTP port; Connect and
	// gRPC-Web are on the HTTP port only. The three are connect-go's
	// names (connect.Peer.Protocol, connectProtocol).
	surfaceGRPC    = connect.ProtocolGRPC
	surfaceConnect = connect.ProtocolConnect
	surfaceGRPCWeb = connect.ProtocolGRPCWeb
	// surfaceREST is REST, through the gateway or a download (files.go).
	surfaceREST = "rest"
	// surfaceWeb is the web application's pages and forms.
	surfaceWeb = "web"
	// surfaceInproc is Server.InProcess's callers.
	surfaceInproc = "inproc"
)
