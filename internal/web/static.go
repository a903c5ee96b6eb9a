package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

// staticFiles serves the embedded CSS and script. Pages link them with a
// version from their content ("/static/app.css?v=3f2a..."), so a browser
// keeps them for a year and a new build is fetched at once.
type staticFiles struct {
	files   map[string][]byte
	version map[string]string
}

// sharedStatic hashes the embedded assets once per process, for every App
// to share, as sharedPages parses the templates: they are embedded, so
// each App would hash the same bytes again, and nothing writes to a
// staticFiles once it is built.
var sharedStatic = sync.OnceValues(func() (*staticFiles, error) {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	return newStaticFiles(sub)
})

func newStaticFiles(fsys fs.FS) (*staticFiles, error) {
	s := &staticFiles{files: map[string][]byte{}, version: map[string]string{}}
	err := eachFile(fsys, ".", func(p string, b []byte) {
		sum := sha256.Sum256(b)
		s.files[p], s.version[p] = b, hex.EncodeToString(sum[:8])
	})
	return s, err
}

// eachFile calls fn with the path and the content of every file of fsys
// below root.
func eachFile(fsys fs.FS, root string, fn func(p string, b []byte)) error {
	return fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		fn(p, b)
		return nil
	})
}

func (s *staticFiles) url(name string) string {
	return "/static/" + name + "?v=" + s.version[name]
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	b, ok := s.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	h.Set("ETag", `"`+s.version[name]+`"`)
	if r.URL.Query().Get("v") == s.version[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == `"`+s.version[name]+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b)
}
