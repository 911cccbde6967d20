package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/internal/crdschema"
)

// write prints the rendered sets in o's format.
func write(w io.Writer, o Options, sets []setResult) error {
	if o.ValidateOnly {
		for _, s := range sets {
			line := fmt.Sprintf("WukongSet %s/%s: %d members valid", s.set.Namespace, s.set.Name, len(s.members))
			if o.Children {
				n := 0
				for _, m := range s.members {
					n += len(m.children)
				}
				line += fmt.Sprintf(", %d children", n)
			}
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
		return nil
	}
	if o.Output == OutputTable {
		return writeTables(w, sets, o.Children)
	}
	var objs []client.Object
	for _, s := range sets {
		for _, m := range s.members {
			objs = append(objs, m.wukong)
			objs = append(objs, m.children...)
		}
	}
	if o.Output == OutputName {
		for _, obj := range objs {
			if _, err := fmt.Fprintln(w, Name(obj)); err != nil {
				return err
			}
		}
		return nil
	}
	doc, err := document(objs)
	if err != nil {
		return err
	}
	var raw []byte
	if o.Output == OutputJSON {
		// kubectl's JSON printer indents by four spaces.
		raw, err = json.MarshalIndent(doc, "", "    ")
		raw = append(raw, '\n')
	} else {
		raw, err = yaml.Marshal(doc)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

// document is what -o yaml and -o json print: the object itself when there is one, else a v1 List of them,
// as `kubectl apply --dry-run=client -o yaml` prints the objects of a file.
func document(objs []client.Object) (any, error) {
	items := make([]any, len(objs))
	for i, obj := range objs {
		m, err := Printable(obj)
		if err != nil {
			return nil, err
		}
		items[i] = m
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{}, "items": items}, nil
}

// Printable is obj as the controller sends it to the apiserver, in its JSON form: without status, and without
// the null fields (creationTimestamp and friends) a typed object marshals.
func Printable(obj client.Object) (map[string]any, error) {
	m, err := crdschema.ToMap(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name(obj), err)
	}
	pruneNulls(m)
	return m, nil
}

// pruneNulls removes the keys whose value is null, at every depth.
func pruneNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			pruneNulls(e)
		}
	case []any:
		for _, e := range v {
			pruneNulls(e)
		}
	}
}

// Name is obj as -o name prints it, and as kubectl names objects: lowercase kind.group/name
// (wukong.vm.novasphere.dev/web-0, virtualmachine.kubevirt.io/web-0, secret/web-0-cloudinit).
func Name(obj client.Object) string {
	gk := obj.GetObjectKind().GroupVersionKind().GroupKind()
	return strings.ToLower(gk.String()) + "/" + obj.GetName()
}
