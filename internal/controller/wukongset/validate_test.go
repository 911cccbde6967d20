package wukongset

import (
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/template"
)

func shapeSet(edit func(*vmv1alpha1.WukongSet)) *vmv1alpha1.WukongSet {
	set := &vmv1alpha1.WukongSet{
		ObjectMeta: metav1.ObjectMeta{Name: "nodes", Namespace: "ns", UID: "uid-1"},
		Spec: vmv1alpha1.WukongSetSpec{
			Replicas: ptr.To[int32](200),
			Template: vmv1alpha1.WukongTemplateSpec{
				Metadata: vmv1alpha1.WukongTemplateMetadata{Labels: map[string]vmv1alpha1.TemplateString{
					"node-index": "${INDEX}", "tier": "db"}},
				Spec: vmv1alpha1.WukongSpec{CPU: 2, Memory: resource.MustParse("4Gi"),
					Hostname: "node-${INDEX}",
					Networks: []vmv1alpha1.Network{{Name: "eth0", Type: "bridge",
						IPConfig: &vmv1alpha1.IPConfig{Mode: "static", Address: "10.0.${INDEX / 256}.${INDEX % 256}/16"}}},
				},
			},
		},
	}
	if edit != nil {
		edit(set)
	}
	return set
}

// TestShapeKey: members of one template share a shape whatever their index, name and computed strings; a
// difference outside them (another template, the surge label, the replacement annotation) is another shape.
func TestShapeKey(t *testing.T) {
	engine, err := template.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	r := &setmember.Renderer{Engine: engine}
	type member struct {
		set      *vmv1alpha1.WukongSet
		index    int
		revision string
		surge    bool
	}
	base := shapeSet(nil)
	for _, tt := range []struct {
		name string
		a, b member
		same bool
	}{
		{"indices 0 and 199: name, index label, hostname, address and label differ", member{set: base}, member{set: base, index: 199}, true},
		{"indices 7 and 1000 (longer name)", member{set: base, index: 7}, member{set: base, index: 1000}, true},
		{"a fixed value differs: cpu", member{set: base}, member{set: shapeSet(func(s *vmv1alpha1.WukongSet) { s.Spec.Template.Spec.CPU = 4 }), index: 1}, false},
		{"a fixed label differs", member{set: base}, member{set: shapeSet(func(s *vmv1alpha1.WukongSet) { s.Spec.Template.Metadata.Labels["tier"] = "web" })}, false},
		{"a fixed string of the same field becomes computed", member{set: base},
			member{set: shapeSet(func(s *vmv1alpha1.WukongSet) { s.Spec.Template.Spec.Hostname = "node" })}, false},
		{"another revision label", member{set: base, revision: "a"}, member{set: base, revision: "b"}, false},
		{"a surge member", member{set: base, index: 3}, member{set: base, index: 200, surge: true}, false},
		{"two surge members", member{set: base, index: 200, surge: true}, member{set: base, index: 201, surge: true}, true},
		{"a replacement in membersToDelete carries an annotation", member{set: base, index: 3},
			member{set: shapeSet(func(s *vmv1alpha1.WukongSet) {
				s.Spec.ScaleStrategy = &vmv1alpha1.ScaleStrategy{MembersToDelete: []string{"nodes-4"}}
			}), index: 4}, false},
		{"a computed value that changes the shape of a string only", member{set: shapeSet(func(s *vmv1alpha1.WukongSet) {
			s.Spec.Template.Spec.Hostname = "${INDEX < 5 ? 'a' : 'a-much-longer-name'}"
		}), index: 1}, member{set: shapeSet(func(s *vmv1alpha1.WukongSet) {
			s.Spec.Template.Spec.Hostname = "${INDEX < 5 ? 'a' : 'a-much-longer-name'}"
		}), index: 9}, true},
		{"the owner differs", member{set: base}, member{set: shapeSet(func(s *vmv1alpha1.WukongSet) { s.UID = "uid-2" })}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key := func(m member) string {
				t.Helper()
				rev := m.revision
				if rev == "" {
					rev = "r1"
				}
				w, err := r.Member(m.set, m.set.Spec.Template, m.index, rev, m.surge)
				if err != nil {
					t.Fatal(err)
				}
				k, err := shapeKey(m.set.Spec.Template, w)
				if err != nil {
					t.Fatal(err)
				}
				return k
			}
			if got := key(tt.a) == key(tt.b); got != tt.same {
				t.Errorf("same shape: %v, want %v", got, tt.same)
			}
		})
	}
}

// TestMaskVariables: only strings computed by an expression are masked, at the same path in lists and maps.
func TestMaskVariables(t *testing.T) {
	tmpl := map[string]any{"a": "x-${INDEX}", "b": "fixed", "l": []any{"${NAME}", "y"}, "m": map[string]any{"k": "$${literal}"}}
	val := map[string]any{"a": "x-3", "b": "fixed", "l": []any{"n-3", "y", "extra"}, "m": map[string]any{"k": "${literal}"}, "only": "v"}
	got := maskVariables(tmpl, val).(map[string]any)
	want := map[string]any{"a": maskedValue, "b": "fixed", "l": []any{maskedValue, "y", "extra"}, "m": map[string]any{"k": maskedValue}, "only": "v"}
	for k, w := range want {
		if g := got[k]; fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s: %v, want %v", k, g, w)
		}
	}
}

// TestValidationsOf: the offline check is kept for one generation of the spec; accepted shapes outlive it
// (a shape key covers everything but the masked values) and go with the set when it is re-created.
func TestValidationsOf(t *testing.T) {
	var v validations
	set := shapeSet(nil)
	set.Generation = 1
	e := v.of(set)
	e.checked, e.problem, e.shapes["k"] = true, "bad", true
	if e := v.of(set); !e.checked || e.problem != "bad" || !e.shapes["k"] {
		t.Fatalf("same generation: %+v", e)
	}
	set.Generation = 2
	if e := v.of(set); e.checked || e.problem != "" || !e.shapes["k"] {
		t.Fatalf("new generation: %+v, want the check reset and the shapes kept", e)
	}
	set.UID = "uid-2"
	if e := v.of(set); len(e.shapes) != 0 {
		t.Fatalf("re-created set: %+v, want nothing kept", e)
	}
	v.forget(types.NamespacedName{Namespace: set.Namespace, Name: set.Name})
	if len(v.sets) != 0 {
		t.Fatalf("forget left %d entries", len(v.sets))
	}
}
