package server

import (
	"context"
	"net/http"
	"time"
)

// cutOnStop makes the writes of w, a stream's answer on the HTTP
// listener, fail once cut is done: the stop waits no more for the calls in
// progress (its shutdown timeout has passed, or it was hurried) and is
// about to close the data files. A stream's context ends when the
// shutdown begins, but a write blocked on a client that reads nothing
// does not see it: a backup held its region's read transaction while it
// waited, and closing the files waited for the transaction, past the
// shutdown timeout and a second signal, until the client read or its
// connection died. The gRPC listener's stop closes its connections, which
// ends such writes there. The function returned is the handler's to call
// as it ends: it returns once a cut under way is done, so that no
// deadline is set on a connection the next request uses.
func cutOnStop(cut context.Context, w http.ResponseWriter) (release func()) {
	done := make(chan struct{})
	stop := context.AfterFunc(cut, func() {
		defer close(done)
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now()) // a writer without deadlines has nothing to cut
	})
	return func() {
		if !stop() {
			<-done
		}
	}
}

// cutStreamsOnStop is next, a listener's handler of Connect, gRPC and
// gRPC-Web calls, with the streams' writes cut on stop (cutOnStop).
func (p *pipeline) cutStreamsOnStop(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, ok := p.served[r.URL.Path]; ok && m.IsServerStream {
			defer cutOnStop(p.cut, w)()
		}
		next.ServeHTTP(w, r)
	})
}
