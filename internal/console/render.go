package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFS embed.FS

// staticFiles serves the embedded assets under /static/.
func staticFiles() http.Handler {
	sub, err := fs.Sub(staticFS, ".")
	if err != nil {
		panic(err)
	}
	fileServer := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Assets are not personal: they may be cached, for a day.
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fileServer.ServeHTTP(w, r)
	})
}

// page is what every template gets: the layout's fields and the page's own.
type page struct {
	Title   string // the page title: never personal data
	Session *lethe.ConsoleSession
	Message string // an error or notice shown at the top
	Notice  string // a success shown at the top
	Refresh int    // seconds after which the page reloads itself (a running job); 0: never
	Data    any
}

// CSRF is the token every form of the page carries.
func (p *page) CSRF() string {
	if p.Session == nil {
		return ""
	}
	return p.Session.CSRFToken
}

// Can reports whether the signed-in role allows perm (menus and buttons).
func (p *page) Can(perm string) bool {
	return p.Session != nil && p.Session.Account.Role.Allows(lethe.ConsolePermission(perm))
}

// pages holds one template set per page, each with the layout.
type pages struct{ byName map[string]*template.Template }

var funcs = template.FuncMap{
	"when": when,
	"day":  day,
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"add": func(a, b int) int { return a + b },
}

// when is a moment as the console shows it, or a dash.
func when(t any) string {
	switch v := t.(type) {
	case time.Time:
		if !v.IsZero() {
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
	case *time.Time:
		if v != nil {
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
	}
	return "—"
}

// day is a date as the console shows it, or a dash.
func day(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format("2006-01-02")
}

func mustParsePages() *pages {
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html"))
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t := template.Must(template.Must(layout.Clone()).ParseFS(templateFiles, n))
		p.byName[strings.TrimSuffix(base, ".html")] = t
	}
	return p
}

// render writes a page. It renders into a buffer first, so a template
// failure is a clean 500, not half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	if p.Session == nil {
		p.Session = sessionFrom(r.Context())
	}
	t, ok := h.pages.byName[name]
	var buf bytes.Buffer
	if ok {
		if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
			h.cfg.Logger.ErrorContext(r.Context(), "template failed", "page", name, "error", err.Error())
			ok = false
		}
	}
	if !ok {
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
