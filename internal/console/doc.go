// Package console is the admin console at /admin: server-rendered pages
// (html/template, embedded assets, no script required) for the people who
// run a tenant's lifecycle without calling the API. It works through the
// domain's service interfaces, as internal/rest does, and signs its users
// in with console accounts (lethe.ConsoleService).
//
// Every page is sent with a strict Content-Security-Policy and
// Cache-Control: no-store; no personal data goes into a URL or a page
// title (people are named by their learner id, searches are posted).
package console
