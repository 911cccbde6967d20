package template

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// Check compiles every expression in t without evaluating it and returns nil or an ErrorList holding every
// syntax and type error, each naming the field path and the expression. Compiled programs are cached, so a
// Render after a successful Check compiles nothing.
func (e *Engine) Check(t v1alpha1.WukongTemplateSpec) error {
	w := walker{visit: func(s string) (string, []*Error) { return e.expand(s, nil) }}
	w.value(reflect.ValueOf(&t).Elem())
	if len(w.errs) == 0 {
		return nil
	}
	return w.errs
}

// Render returns a copy of t with every variable expanded for vars and every "$${" turned into "${". The
// error, if any, is an *Error naming the field path and expression of the first failure; t is not modified.
func (e *Engine) Render(t v1alpha1.WukongTemplateSpec, vars Vars) (v1alpha1.WukongTemplateSpec, error) {
	// t is a copy but shares its slices and maps with the caller's template; work on a deep copy so that
	// rendering member 0 cannot leak into member 1.
	out := t.DeepCopy()
	w := walker{
		write:    true,
		failFast: true,
		visit:    func(s string) (string, []*Error) { return e.expand(s, &vars) },
	}
	w.value(reflect.ValueOf(out).Elem())
	if len(w.errs) > 0 {
		return v1alpha1.WukongTemplateSpec{}, w.errs[0]
	}
	return *out, nil
}

// walker visits every string reachable from a value by reflection, so a field added to the API is covered
// without this package listing it. Paths use JSON names, because that is what users wrote.
type walker struct {
	visit    func(s string) (string, []*Error)
	write    bool // store the visited strings back; the value must be addressable
	failFast bool // stop at the first error
	path     []pathElem
	errs     ErrorList
}

// pathElem is one step of a field path: a struct field (.name), a list index ([i]) or a map key ([key]).
type pathElem struct {
	name  string
	index int
	kind  byte // '.', '[' for an index, 'k' for a map key
}

// value walks v and reports whether to go on.
func (w *walker) value(v reflect.Value) bool {
	info := typeInfoOf(v.Type())
	if info.opaque {
		return true
	}
	switch v.Kind() {
	case reflect.String:
		return w.str(v)
	case reflect.Pointer:
		return v.IsNil() || w.value(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return true
		}
		// The dynamic value is not addressable; walk a copy and store it back.
		elem := reflect.New(v.Elem().Type()).Elem()
		elem.Set(v.Elem())
		ok := w.value(elem)
		if w.write {
			v.Set(elem)
		}
		return ok
	case reflect.Struct:
		for _, f := range info.fields {
			if !f.inline {
				w.path = append(w.path, pathElem{kind: '.', name: f.name})
			}
			ok := w.value(v.Field(f.index))
			if !f.inline {
				w.path = w.path[:len(w.path)-1]
			}
			if !ok {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			w.path = append(w.path, pathElem{kind: '[', index: i})
			ok := w.value(v.Index(i))
			w.path = w.path[:len(w.path)-1]
			if !ok {
				return false
			}
		}
	case reflect.Map:
		// Only values are templates; keys are names the user chose and stay as written. Sorted so that
		// Check lists errors in a stable order.
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(keyString(a), keyString(b)) })
		for _, k := range keys {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(k))
			w.path = append(w.path, pathElem{kind: 'k', name: keyString(k)})
			ok := w.value(elem)
			w.path = w.path[:len(w.path)-1]
			if w.write {
				v.SetMapIndex(k, elem)
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

func (w *walker) str(v reflect.Value) bool {
	s := v.String()
	// Most strings hold no template at all; "${" also catches the escape "$${", which must be rewritten.
	if !strings.Contains(s, "${") {
		return true
	}
	out, errs := w.visit(s)
	if len(errs) > 0 {
		path := w.pathString()
		for _, err := range errs {
			err.Path = path
		}
		w.errs = append(w.errs, errs...)
		return !w.failFast
	}
	if w.write {
		v.SetString(out)
	}
	return true
}

func keyString(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	return fmt.Sprint(k.Interface())
}

// pathString renders the path only when an error needs it, so that successful renders do not pay for it.
func (w *walker) pathString() string {
	var b strings.Builder
	for _, p := range w.path {
		switch p.kind {
		case '.':
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p.name)
		case '[':
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(p.index))
			b.WriteByte(']')
		default:
			b.WriteByte('[')
			b.WriteString(p.name)
			b.WriteByte(']')
		}
	}
	return b.String()
}

// typeInfo is what the walker needs to know about a type, computed once per type.
type typeInfo struct {
	// opaque types serialise themselves (resource.Quantity, metav1.Time, intstr.IntOrString): their Go
	// fields are not what the user wrote, so they are not walked and cannot hold variables.
	opaque bool
	// fields are a struct's exported, serialised fields.
	fields []fieldInfo
}

type fieldInfo struct {
	index  int
	name   string // JSON name
	inline bool   // embedded or `json:",inline"`: its fields belong to the parent's path
}

var (
	typeInfos     sync.Map // reflect.Type -> *typeInfo
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

func typeInfoOf(t reflect.Type) *typeInfo {
	if info, ok := typeInfos.Load(t); ok {
		return info.(*typeInfo)
	}
	info := &typeInfo{opaque: t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)}
	if t.Kind() == reflect.Struct && !info.opaque {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" && opts == "" {
				continue
			}
			inline := (f.Anonymous && name == "") || slices.Contains(strings.Split(opts, ","), "inline")
			if name == "" {
				name = f.Name
			}
			info.fields = append(info.fields, fieldInfo{index: i, name: name, inline: inline})
		}
	}
	actual, _ := typeInfos.LoadOrStore(t, info)
	return actual.(*typeInfo)
}
