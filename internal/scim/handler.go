package scim

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/lethehq/lethe"
)

// Prefix is where the SCIM service is mounted.
const Prefix = "/scim/v2"

// Handler serves SCIM 2.0 under Prefix. It authenticates every request
// with a bearer token of lethe.SCIMTokenService.
type Handler struct {
	SCIM     lethe.SCIMService
	Tokens   lethe.SCIMTokenService
	Settings lethe.SettingsService // nil: the default attribute mapping
	Logger   *slog.Logger
}

// route is a parsed SCIM request path.
type route struct {
	kind  string // users, groups, search, config, types, schemas
	id    string // a resource id, a resource type name or a schema URN
	label string // the route for logs: "scim /Users/{id}"
}

// endpoints maps the first path segment, in lower case, to the route kind
// and its label.
var endpoints = map[string][2]string{
	"users":                 {"users", "/Users"},
	"groups":                {"groups", "/Groups"},
	"serviceproviderconfig": {"config", "/ServiceProviderConfig"},
	"serviceconfiguration":  {"config", "/serviceConfiguration"},
	"resourcetypes":         {"types", "/ResourceTypes"},
	"schemas":               {"schemas", "/Schemas"},
}

// parseRoute reads a request path (escaped) under Prefix: resource names
// ignore case, and one trailing slash is tolerated.
func parseRoute(escaped string) (route, bool) {
	if len(escaped) < len(Prefix) || !strings.EqualFold(escaped[:len(Prefix)], Prefix) {
		return route{}, false
	}
	rest := strings.TrimSuffix(escaped[len(Prefix):], "/")
	if rest == "" || rest[0] != '/' {
		return route{}, false
	}
	segs := strings.Split(rest[1:], "/")
	if len(segs) > 2 {
		return route{}, false
	}
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" || u == "." || u == ".." {
			return route{}, false
		}
		segs[i] = u
	}
	ep, ok := endpoints[strings.ToLower(segs[0])]
	if !ok {
		return route{}, false
	}
	rt := route{kind: ep[0], label: "scim " + ep[1]}
	if len(segs) == 1 {
		return rt, true
	}
	switch {
	case rt.kind == "config":
		return route{}, false
	case (rt.kind == "users" || rt.kind == "groups") && strings.EqualFold(segs[1], ".search"):
		rt.kind, rt.id, rt.label = rt.kind+".search", "", rt.label+"/.search"
	case rt.kind == "types":
		rt.id, rt.label = segs[1], rt.label+"/{name}"
	case rt.kind == "schemas":
		rt.id, rt.label = segs[1], rt.label+"/{urn}"
	default:
		rt.id, rt.label = segs[1], rt.label+"/{id}"
	}
	return rt, true
}

// Route names the route of r for access logs, never the raw path (it
// carries ids).
func (h *Handler) Route(r *http.Request) string {
	rt, ok := parseRoute(r.URL.EscapedPath())
	if !ok {
		return "scim unmatched"
	}
	return rt.label
}

// reply is a successful answer.
type reply struct {
	status   int
	body     any
	etag     string
	location string
}

type handlerFunc func(h *Handler, r *http.Request, rt route) (*reply, error)

// methods maps a route kind to its handlers by method.
var methods = map[string]map[string]handlerFunc{
	"users":         {"GET": (*Handler).listOrGetUser, "POST": (*Handler).createUser},
	"users.id":      {"GET": (*Handler).listOrGetUser, "PUT": (*Handler).replaceUser, "PATCH": (*Handler).patchUser, "DELETE": (*Handler).deleteUser},
	"users.search":  {"POST": (*Handler).searchUsers},
	"groups":        {"GET": (*Handler).listOrGetGroup, "POST": (*Handler).createGroup},
	"groups.id":     {"GET": (*Handler).listOrGetGroup, "PUT": (*Handler).replaceGroup, "PATCH": (*Handler).patchGroup, "DELETE": (*Handler).deleteGroup},
	"groups.search": {"POST": (*Handler).searchGroups},
	"config":        {"GET": (*Handler).serviceProviderConfig},
	"types":         {"GET": (*Handler).resourceTypes},
	"schemas":       {"GET": (*Handler).schemas},
}

// ServeHTTP authenticates the request, routes it and answers in SCIM JSON.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, err := h.authenticate(r)
	if err != nil {
		h.fail(w, r, err, nil)
		return
	}
	r = r.WithContext(ctx)
	rt, ok := parseRoute(r.URL.EscapedPath())
	if !ok {
		writeError(w, errorf(http.StatusNotFound, "", "No such SCIM endpoint."))
		return
	}
	key := rt.kind
	if rt.id != "" && (rt.kind == "users" || rt.kind == "groups") {
		key += ".id"
	}
	byMethod := methods[key]
	fn, ok := byMethod[r.Method]
	if r.Method == http.MethodHead {
		fn, ok = byMethod["GET"]
	}
	if !ok {
		allow := make([]string, 0, len(byMethod))
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if byMethod[m] != nil {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, errorf(http.StatusMethodNotAllowed, "", "Method %s is not allowed on this endpoint.", r.Method))
		return
	}
	rep, err := fn(h, r, rt)
	if err != nil {
		attrs := userAttrOf
		if strings.HasPrefix(rt.kind, "groups") {
			attrs = groupAttrOf
		}
		h.fail(w, r, err, attrs)
		return
	}
	h.write(w, rep)
}

func (h *Handler) write(w http.ResponseWriter, rep *reply) {
	if rep.etag != "" {
		w.Header().Set("ETag", rep.etag)
	}
	if rep.location != "" {
		w.Header().Set("Location", rep.location)
	}
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	writeDoc(w, rep.status, rep.body)
}

// fail answers err as a SCIM error; internal errors are logged with the
// request id and reveal nothing to the client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error, attrs map[string]string) {
	e := asSCIM(err, attrs)
	if e.Status >= 500 && r.Context().Err() == nil && h.Logger != nil {
		h.Logger.ErrorContext(r.Context(), "scim internal error", "request_id", r.Header.Get("X-Request-Id"),
			"route", h.Route(r), "error", err.Error())
	}
	writeError(w, e)
}

// authenticate checks the bearer token and returns a context with the
// token's tenant as the Actor.
func (h *Handler) authenticate(r *http.Request) (context.Context, error) {
	auth := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(strings.TrimSpace(auth), " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return nil, errorf(http.StatusUnauthorized, "", "Authentication required: Authorization: Bearer and a SCIM token.")
	}
	tok, err := h.Tokens.AuthenticateSCIM(r.Context(), secret)
	if err != nil {
		if lethe.ErrorCode(err) == lethe.EUnauthenticated {
			return nil, errorf(http.StatusUnauthorized, "", "The SCIM token is not valid.")
		}
		return nil, err
	}
	return lethe.WithActor(r.Context(), lethe.Actor{TenantID: tok.TenantID, Source: lethe.SourceSCIM, Name: "scim-token"}), nil
}

// baseURL is the absolute URL of /scim/v2 as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

// mapping returns the tenant's SCIM attribute mapping.
func (h *Handler) mapping(ctx context.Context) (map[string]string, error) {
	if h.Settings == nil {
		return lethe.DefaultSCIMAdditionalFields(), nil
	}
	s, err := h.Settings.FindSettings(ctx)
	if err != nil {
		return nil, err
	}
	return s.SCIM.AdditionalFields, nil
}
