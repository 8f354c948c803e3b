package scim

import (
	"net/http"
	"reflect"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// patchOp is one PATCH operation (RFC 7644 §3.5.2). Op is lower case.
type patchOp struct {
	op    string
	path  string
	value any
}

// maxOps bounds the operations of one PATCH.
const maxOps = 1000

// readPatch reads a PatchOp message. Ops are matched ignoring case
// (Entra sends "Replace").
func readPatch(d doc) ([]patchOp, error) {
	if err := checkSchemas(d, func(u string) bool { return strings.EqualFold(u, patchSchema) }); err != nil {
		return nil, err
	}
	v, _ := lookup(d, "Operations")
	list, ok := v.([]any)
	if !ok {
		return nil, errorf(http.StatusBadRequest, typeInvalidSyntax, "Operations must be an array of operations.")
	}
	if len(list) > maxOps {
		return nil, errorf(http.StatusBadRequest, typeInvalidValue, "Operations: at most %d operations per request.", maxOps)
	}
	ops := make([]patchOp, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, errorf(http.StatusBadRequest, typeInvalidSyntax, "Operations[%d] must be an object.", i)
		}
		opV, _ := lookup(m, "op")
		op, _ := opV.(string)
		op = strings.ToLower(strings.TrimSpace(op))
		if op != "add" && op != "replace" && op != "remove" {
			return nil, errorf(http.StatusBadRequest, typeInvalidSyntax, "Operations[%d].op must be add, replace or remove.", i)
		}
		pathV, _ := lookup(m, "path")
		path, ok := pathV.(string)
		if pathV != nil && !ok {
			return nil, errorf(http.StatusBadRequest, typeInvalidPath, "Operations[%d].path must be a string.", i)
		}
		value, _ := lookup(m, "value")
		ops = append(ops, patchOp{op: op, path: strings.TrimSpace(path), value: value})
	}
	return ops, nil
}

// applyPatch applies ops, in order, to d, a resource of kind res. id is
// the resource's id: a no-path value may repeat it. On error d is half
// changed: callers apply ops to a copy.
func applyPatch(res *resource, d doc, id string, ops []patchOp) error {
	for _, op := range ops {
		if err := applyOp(res, d, id, op); err != nil {
			return err
		}
	}
	return nil
}

func applyOp(res *resource, d doc, id string, op patchOp) error {
	if op.path != "" {
		return applyPath(res, d, op.op, op.path, op.value)
	}
	if op.op == "remove" {
		return errorf(http.StatusBadRequest, typeNoTarget, "A remove operation needs a path.")
	}
	m, ok := op.value.(map[string]any)
	if !ok {
		return errorf(http.StatusBadRequest, typeInvalidValue, "value: an operation without a path needs an object value.")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case strings.EqualFold(k, "schemas"), strings.EqualFold(k, "meta"):
			continue
		case strings.EqualFold(k, "id"):
			if s, _ := m[k].(string); s == id {
				continue
			}
			return errorf(http.StatusBadRequest, typeMutability, "id is read-only.")
		}
		if err := applyPath(res, d, op.op, k, m[k]); err != nil {
			return err
		}
	}
	return nil
}

// target is where a path points: attribute key of obj, optionally
// narrowed by a value filter and a sub-attribute.
type target struct {
	obj    doc
	key    string
	def    *attr // nil for an attribute the schema does not know
	filter filter.Expression
	sub    string
}

// resolve finds the target of a path in d, creating the object of an
// extension when the path names one.
func resolve(res *resource, d doc, raw string) (*target, error) {
	if ext := res.extension(raw); ext != nil {
		return &target{obj: d, key: ext.ID, def: &attr{Name: ext.ID, Type: "complex", Sub: ext.Attrs}}, nil
	}
	p, err := parsePath(raw)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, typeInvalidPath, "The path is not a valid SCIM attribute path.")
	}
	ap := p.AttributePath
	attrs, obj := res.core.Attrs, d
	if uri := ap.URI(); uri != "" && !strings.EqualFold(uri, res.core.ID) {
		key := keyOf(d, uri)
		attrs = nil
		if ext := res.extension(uri); ext != nil {
			key, attrs = ext.ID, ext.Attrs
		}
		m, ok := d[key].(map[string]any)
		if !ok {
			m = doc{}
			d[key] = m
		}
		obj = m
	}
	t := &target{obj: obj, key: keyOf(obj, ap.AttributeName), def: findAttr(attrs, ap.AttributeName), filter: p.ValueExpression}
	if t.def != nil {
		t.key = t.def.Name
	}
	t.sub = ap.SubAttributeName()
	if p.SubAttribute != nil {
		t.sub = *p.SubAttribute
	}
	if t.def == nil {
		return t, nil
	}
	if t.def.Mutability == "readOnly" && t.def.common {
		return nil, errorf(http.StatusBadRequest, typeMutability, "%s is read-only.", t.def.Name)
	}
	if (t.sub != "" || t.filter != nil) && t.def.Type != "complex" {
		return nil, errorf(http.StatusBadRequest, typeInvalidPath, "%s has no sub-attributes.", t.def.Name)
	}
	if t.filter != nil && !t.def.Multi {
		return nil, errorf(http.StatusBadRequest, typeInvalidPath, "%s is not multi-valued: it takes no filter.", t.def.Name)
	}
	if s := findAttr(t.def.Sub, t.sub); s != nil {
		t.sub = s.Name
	}
	return t, nil
}

// applyPath applies one operation to the target of path.
func applyPath(res *resource, d doc, op, path string, value any) error {
	t, err := resolve(res, d, path)
	if err != nil {
		return err
	}
	switch {
	case value == nil && op == "add":
		return nil // nothing to add
	case value == nil && op == "replace":
		op = "remove" // null unassigns (RFC 7643 §2.5)
	}
	switch {
	case t.filter != nil:
		return t.applyFiltered(op, value)
	case t.sub != "":
		return t.applySub(op, value)
	}
	return t.applyWhole(op, value)
}

// multi reports whether the target attribute holds an array.
func (t *target) multi() bool {
	if t.def != nil {
		return t.def.Multi
	}
	_, ok := t.obj[t.key].([]any)
	return ok
}

// applyWhole applies an operation to a whole attribute.
func (t *target) applyWhole(op string, value any) error {
	cur := t.obj[t.key]
	switch {
	case op == "remove" && value != nil && t.multi():
		// Entra's form: remove the listed values from a multi-valued attribute.
		list, _ := cur.([]any)
		t.obj[t.key] = slices.DeleteFunc(slices.Clone(list), func(e any) bool { return listed(e, asList(value)) })
	case op == "remove":
		delete(t.obj, t.key)
	case t.multi() && op == "add":
		list, _ := cur.([]any)
		t.obj[t.key] = append(slices.Clone(list), asList(value)...)
	case t.multi():
		t.obj[t.key] = asList(value)
	case isComplex(t.def, value):
		m, ok := value.(map[string]any)
		if !ok && t.def != nil && findAttr(t.def.Sub, "value") != nil {
			// Entra sends the manager as its id alone.
			m, ok = doc{"value": value}, true
		}
		if !ok {
			return badValue(t.key, "must be an object")
		}
		old, _ := cur.(map[string]any)
		t.obj[t.key] = merge(old, m, t.def)
	default:
		t.obj[t.key] = value
	}
	return nil
}

// applySub applies an operation to a sub-attribute: of the complex value,
// or of every element of a multi-valued attribute.
func (t *target) applySub(op string, value any) error {
	switch cur := t.obj[t.key].(type) {
	case []any:
		for _, e := range cur {
			if m, ok := e.(map[string]any); ok {
				setSub(m, t.sub, op, value)
			}
		}
		if len(cur) == 0 && op != "remove" {
			t.obj[t.key] = []any{doc{t.sub: value}}
		}
	case map[string]any:
		setSub(cur, t.sub, op, value)
	default:
		if op == "remove" {
			return nil
		}
		if t.multi() {
			t.obj[t.key] = []any{doc{t.sub: value}}
		} else {
			t.obj[t.key] = doc{t.sub: value}
		}
	}
	return nil
}

// applyFiltered applies an operation to the elements a value filter
// selects. An add or replace that selects nothing, under a filter of the
// form attr eq "x", adds an element with that attribute (Entra sends
// emails[type eq "work"].value for a user without one).
func (t *target) applyFiltered(op string, value any) error {
	list, _ := t.obj[t.key].([]any)
	var sub []attr
	if t.def != nil {
		sub = t.def.Sub
	}
	var hit []int
	for i, e := range list {
		ok, err := matches(t.filter, e, sub)
		if err != nil {
			return err
		}
		if ok {
			hit = append(hit, i)
		}
	}
	if op == "remove" {
		if t.sub == "" {
			kept := make([]any, 0, len(list))
			for i, e := range list {
				if !slices.Contains(hit, i) {
					kept = append(kept, e)
				}
			}
			t.obj[t.key] = kept
			return nil
		}
		for _, i := range hit {
			if m, ok := list[i].(map[string]any); ok {
				delete(m, keyOf(m, t.sub))
			}
		}
		return nil
	}
	if len(hit) == 0 {
		e, ok := seed(t.filter)
		if !ok {
			return errorf(http.StatusBadRequest, typeNoTarget, "The path's filter selects no value of %s.", t.key)
		}
		list = append(slices.Clone(list), e)
		t.obj[t.key], hit = list, []int{len(list) - 1}
	}
	for _, i := range hit {
		m, ok := list[i].(map[string]any)
		if !ok {
			continue
		}
		if t.sub != "" {
			setSub(m, t.sub, op, value)
			continue
		}
		v, ok := value.(map[string]any)
		if !ok {
			return badValue(t.key, "must be an object")
		}
		for k, x := range v {
			m[keyOf(m, k)] = x
		}
	}
	return nil
}

// seed is the element an attr eq "x" filter describes, for an add that
// finds none.
func seed(e filter.Expression) (doc, bool) {
	ae, ok := e.(*filter.AttributeExpression)
	if !ok || ae.Operator != filter.EQ || ae.AttributePath.SubAttribute != nil || ae.AttributePath.URIPrefix != nil {
		return nil, false
	}
	v := ae.CompareValue
	if s, ok := v.(string); ok {
		v = unescape(s)
	}
	return doc{ae.AttributePath.AttributeName: v}, true
}

func setSub(m doc, sub, op string, value any) {
	k := keyOf(m, sub)
	if op == "remove" || value == nil {
		delete(m, k)
		return
	}
	m[k] = value
}

// merge writes the sub-attributes of m over old (a replace or add of a
// complex attribute keeps the sub-attributes it does not name).
func merge(old, m doc, def *attr) doc {
	out := doc{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range m {
		var sub *attr
		if def != nil {
			sub = findAttr(def.Sub, k)
		}
		key := keyOf(out, k)
		if sub != nil {
			key = sub.Name
		}
		if v == nil {
			delete(out, key)
			continue
		}
		out[key] = v
	}
	return out
}

func isComplex(def *attr, value any) bool {
	if def != nil {
		return def.Type == "complex"
	}
	_, ok := value.(map[string]any)
	return ok
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// listed reports whether e is one of the values of an Entra-style remove:
// by its value sub-attribute when the values have one, else whole.
func listed(e any, values []any) bool {
	for _, v := range values {
		vm, vok := v.(map[string]any)
		em, eok := e.(map[string]any)
		if vok && eok {
			want, ok1 := lookup(vm, "value")
			got, ok2 := lookup(em, "value")
			if ok1 && ok2 && reflect.DeepEqual(want, got) {
				return true
			}
		}
		if reflect.DeepEqual(e, v) {
			return true
		}
	}
	return false
}
