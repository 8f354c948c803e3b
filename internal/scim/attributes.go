package scim

import (
	"strings"

	"github.com/lethehq/lethe"
)

// Schema URNs.
const (
	userSchema     = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema    = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterprise     = lethe.SCIMEnterpriseSchema
	patchSchema    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	listSchema     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	searchSchema   = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	configSchema   = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resTypeSchema  = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema   = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	enterpriseName = "EnterpriseUser"
)

// attr is one attribute of a schema (RFC 7643 §7).
type attr struct {
	Name       string
	Type       string // string, boolean, complex, dateTime, reference, integer
	Multi      bool
	Required   bool
	CaseExact  bool
	Mutability string // readWrite (""), readOnly, immutable, writeOnly
	Returned   string // default (""), always, never
	Unique     bool
	Sub        []attr
	Desc       string
	// common marks id and meta: attributes of every resource that the
	// schema documents do not list.
	common bool
}

// schema is a resource schema or extension.
type schema struct {
	ID, Name, Desc string
	Attrs          []attr
}

func str(name, desc string) attr { return attr{Name: name, Type: "string", Desc: desc} }

// multiSub are the sub-attributes of the multi-valued attributes of RFC 7643
// §2.4 (emails, phoneNumbers and the like).
func multiSub(valueType string) []attr {
	return []attr{{Name: "value", Type: valueType, Desc: "The value."}, str("display", "A label for display."),
		str("type", "A label such as work or home."), {Name: "primary", Type: "boolean", Desc: "The preferred value."}}
}

var (
	idAttr   = attr{Name: "id", Type: "string", CaseExact: true, Mutability: "readOnly", Returned: "always", Unique: true, Desc: "Lethe's id.", common: true}
	metaAttr = attr{Name: "meta", Type: "complex", Mutability: "readOnly", Desc: "Resource metadata.", common: true, Sub: []attr{
		str("resourceType", ""), {Name: "created", Type: "dateTime"}, {Name: "lastModified", Type: "dateTime"},
		{Name: "location", Type: "reference"}, {Name: "version", Type: "string", CaseExact: true}}}
	externalIDAttr = attr{Name: "externalId", Type: "string", CaseExact: true, Desc: "The identity provider's id.", common: true}
)

// userSchemaDef is the core User schema as Lethe serves it; the attributes
// Lethe does not keep are listed, accepted and not stored.
var userSchemaDef = schema{ID: userSchema, Name: "User", Desc: "User Account", Attrs: []attr{
	idAttr, externalIDAttr, metaAttr,
	{Name: "userName", Type: "string", Required: true, Unique: true, Desc: "The user's ref: unique, ignoring case."},
	{Name: "name", Type: "complex", Desc: "The user's name.", Sub: []attr{str("formatted", "The full name."),
		str("familyName", "The last name."), str("givenName", "The first name."), str("middleName", ""),
		str("honorificPrefix", ""), str("honorificSuffix", "")}},
	{Name: "displayName", Type: "string", Mutability: "readOnly", Desc: "The full name."},
	str("nickName", ""), {Name: "profileUrl", Type: "reference"}, str("title", "The job title."), str("userType", ""),
	str("preferredLanguage", "The language code."), str("locale", ""), str("timezone", "An IANA time zone."),
	{Name: "active", Type: "boolean", Desc: "False while the user is suspended."},
	{Name: "password", Type: "string", Mutability: "writeOnly", Returned: "never", Desc: "Not kept."},
	{Name: "emails", Type: "complex", Multi: true, Sub: multiSub("string"), Desc: "The work or primary email is kept."},
	{Name: "phoneNumbers", Type: "complex", Multi: true, Sub: multiSub("string")},
	{Name: "ims", Type: "complex", Multi: true, Sub: multiSub("string")},
	{Name: "photos", Type: "complex", Multi: true, Sub: multiSub("reference")},
	{Name: "addresses", Type: "complex", Multi: true, Sub: []attr{str("formatted", ""), str("streetAddress", ""),
		str("locality", ""), str("region", ""), str("postalCode", ""), str("country", ""), str("type", ""),
		{Name: "primary", Type: "boolean"}}},
	{Name: "groups", Type: "complex", Multi: true, Mutability: "readOnly", Sub: []attr{{Name: "value", Type: "string", CaseExact: true},
		{Name: "$ref", Type: "reference"}, str("display", ""), str("type", "")}},
	{Name: "entitlements", Type: "complex", Multi: true, Sub: multiSub("string")},
	{Name: "roles", Type: "complex", Multi: true, Sub: multiSub("string")},
	{Name: "x509Certificates", Type: "complex", Multi: true, Sub: multiSub("binary")},
}}

// enterpriseSchemaDef is the enterprise user extension (RFC 7643 §4.3).
var enterpriseSchemaDef = schema{ID: enterprise, Name: enterpriseName, Desc: "Enterprise User", Attrs: []attr{
	str("employeeNumber", ""), str("costCenter", ""), str("organization", ""), str("division", ""), str("department", ""),
	{Name: "manager", Type: "complex", Desc: "The user's manager, by SCIM id.", Sub: []attr{
		{Name: "value", Type: "string", CaseExact: true, Desc: "The manager's id."},
		{Name: "$ref", Type: "reference", Mutability: "readOnly"},
		{Name: "displayName", Type: "string", Mutability: "readOnly"}}},
}}

// groupSchemaDef is the core Group schema: a group is an audience.
var groupSchemaDef = schema{ID: groupSchema, Name: "Group", Desc: "Group", Attrs: []attr{
	idAttr, externalIDAttr, metaAttr,
	{Name: "displayName", Type: "string", Required: true, Desc: "The audience's name."},
	{Name: "members", Type: "complex", Multi: true, Desc: "The audience's members.", Sub: []attr{
		{Name: "value", Type: "string", CaseExact: true, Mutability: "immutable", Desc: "A user's id."},
		{Name: "$ref", Type: "reference", Mutability: "immutable"},
		{Name: "display", Type: "string", Mutability: "readOnly"},
		{Name: "type", Type: "string", Mutability: "immutable"}}},
}}

// findAttr returns the attribute of as named name, ignoring case, or nil.
func findAttr(as []attr, name string) *attr {
	for i := range as {
		if strings.EqualFold(as[i].Name, name) {
			return &as[i]
		}
	}
	return nil
}

// resource is a kind of resource: its schema and extensions.
type resource struct {
	name       string // User or Group
	endpoint   string // /Users or /Groups
	core       *schema
	extensions []*schema
}

var (
	userResource  = &resource{name: "User", endpoint: "/Users", core: &userSchemaDef, extensions: []*schema{&enterpriseSchemaDef}}
	groupResource = &resource{name: "Group", endpoint: "/Groups", core: &groupSchemaDef}
)

// extension returns the extension whose URN is urn, ignoring case, or nil.
func (r *resource) extension(urn string) *schema {
	for _, s := range r.extensions {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	return nil
}

// knownSchema reports whether urn names the core schema or an extension.
func (r *resource) knownSchema(urn string) bool {
	return strings.EqualFold(urn, r.core.ID) || r.extension(urn) != nil
}

// canonical renames the keys of d that name known attributes (ignoring
// case) to their spelling in the schema, recursively, so that the rest of
// the package reads one spelling. Keys of unknown attributes are kept.
func (r *resource) canonical(d map[string]any) {
	canonAttrs(d, r.core.Attrs)
	for k, v := range d {
		if ext := r.extension(k); ext != nil {
			delete(d, k)
			if m, ok := v.(map[string]any); ok {
				canonAttrs(m, ext.Attrs)
			}
			d[ext.ID] = v
		}
	}
}

func canonAttrs(d map[string]any, as []attr) {
	for k, v := range d {
		a := findAttr(as, k)
		if a == nil {
			continue
		}
		if k != a.Name {
			delete(d, k)
			d[a.Name] = v
		}
		if a.Type != "complex" {
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			canonAttrs(v, a.Sub)
		case []any:
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					canonAttrs(m, a.Sub)
				}
			}
		}
	}
}
