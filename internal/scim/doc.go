// Package scim serves SCIM 2.0 (RFC 7643, RFC 7644) at /scim/v2: the surface
// an organisation's identity provider (Okta, Entra ID) provisions people
// and groups through. It is a plain http.Handler over the domain's service
// interfaces (lethe.SCIMService, lethe.SCIMTokenService,
// lethe.SettingsService) and never touches the store.
//
// Resources are handled as JSON documents: a user or group is rendered to
// its SCIM document, PATCH operations are applied to a copy of it, and the
// document is read back into a change of the domain object. What Lethe does
// not keep is accepted and dropped on that way back. Filters are parsed by
// github.com/scim2/filter-parser and translated to lethe.SCIMFilter, which
// the store turns into SQL.
//
// One concept per file: handler.go (routes and auth), errors.go, user.go,
// group.go, patch.go (PATCH operations), match.go (value filters applied in
// memory), filter.go (query filters, with a fast path for the attr eq
// "value" look-up), pathcache.go (plain attribute paths parsed once),
// query.go (list parameters and projection), attributes.go (the schemas),
// discovery.go, version.go (ETags and If-Match), json.go.
package scim
