package scim

import (
	"net/http"
	"strings"
)

// The discovery documents (RFC 7644 §4, RFC 7643 §5-7) are built from the
// schema tables of attributes.go.

func (h *Handler) serviceProviderConfig(r *http.Request, _ route) (*reply, error) {
	base := baseURL(r)
	d := doc{
		"schemas":          []any{configSchema},
		"documentationUri": "https://github.com/lethehq/lethe#scim",
		"patch":            doc{"supported": true},
		"bulk":             doc{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           doc{"supported": true, "maxResults": maxCount},
		"changePassword":   doc{"supported": false},
		"sort":             doc{"supported": true},
		"etag":             doc{"supported": true},
		"authenticationSchemes": []any{doc{"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A SCIM token of the tenant, sent as Authorization: Bearer."}},
		"meta": doc{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	}
	return &reply{status: http.StatusOK, body: d}, nil
}

func resourceTypeDoc(res *resource, base string) doc {
	exts := []any{}
	for _, e := range res.extensions {
		exts = append(exts, doc{"schema": e.ID, "required": false})
	}
	return doc{"schemas": []any{resTypeSchema}, "id": res.name, "name": res.name, "endpoint": res.endpoint,
		"description": res.core.Desc, "schema": res.core.ID, "schemaExtensions": exts,
		"meta": doc{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + res.name}}
}

func (h *Handler) resourceTypes(r *http.Request, rt route) (*reply, error) {
	base := baseURL(r)
	all := []*resource{userResource, groupResource}
	if rt.id != "" {
		for _, res := range all {
			if strings.EqualFold(res.name, rt.id) {
				return &reply{status: http.StatusOK, body: resourceTypeDoc(res, base)}, nil
			}
		}
		return nil, errorf(http.StatusNotFound, "", "No such resource type.")
	}
	list := []any{}
	for _, res := range all {
		list = append(list, resourceTypeDoc(res, base))
	}
	return &reply{status: http.StatusOK, body: listResponse(list, len(list), 1)}, nil
}

func attrDocs(as []attr) []any {
	out := []any{}
	for _, a := range as {
		if a.common {
			continue
		}
		out = append(out, attrDoc(a))
	}
	return out
}

func attrDoc(a attr) doc {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	uniq := "none"
	if a.Unique {
		uniq = "server"
	}
	d := doc{"name": a.Name, "type": a.Type, "multiValued": a.Multi, "description": a.Desc, "required": a.Required,
		"caseExact": a.CaseExact, "mutability": or(a.Mutability, "readWrite"), "returned": or(a.Returned, "default"),
		"uniqueness": uniq}
	if a.Type == "complex" {
		d["subAttributes"] = attrDocs(a.Sub)
	}
	if a.Type == "reference" {
		d["referenceTypes"] = []any{"external"}
	}
	return d
}

func schemaDoc(s *schema, base string) doc {
	return doc{"schemas": []any{schemaSchema}, "id": s.ID, "name": s.Name, "description": s.Desc,
		"attributes": attrDocs(s.Attrs), "meta": doc{"resourceType": "Schema", "location": base + "/Schemas/" + s.ID}}
}

func (h *Handler) schemas(r *http.Request, rt route) (*reply, error) {
	base := baseURL(r)
	all := []*schema{&userSchemaDef, &enterpriseSchemaDef, &groupSchemaDef}
	if rt.id != "" {
		for _, s := range all {
			if strings.EqualFold(s.ID, rt.id) {
				return &reply{status: http.StatusOK, body: schemaDoc(s, base)}, nil
			}
		}
		return nil, errorf(http.StatusNotFound, "", "No such schema.")
	}
	list := []any{}
	for _, s := range all {
		list = append(list, schemaDoc(s, base))
	}
	return &reply{status: http.StatusOK, body: listResponse(list, len(list), 1)}, nil
}
