package csvfile

import "net/http"

// Download is the body of a CSV file that an HTTP answer w downloads as
// Filename: its headers go out with its first byte, so that a download
// refused before it starts (no right, a bad date) can still be answered
// with an error, and one that fails after it started is cut (Started).
// no-store and nosniff are the HTTP listener's defaults for every answer.
type Download struct {
	W        http.ResponseWriter
	Filename string
	started  bool
}

func (d *Download) Write(b []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.W.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
		h.Set("Content-Disposition", `attachment; filename="`+d.Filename+`"`)
		d.W.WriteHeader(http.StatusOK)
	}
	return d.W.Write(b)
}

// Started reports whether the answer's headers, and part of the file, are
// sent: an error then can only cut the download.
func (d *Download) Started() bool { return d.started }
