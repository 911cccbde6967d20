package owner

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/novasphere/wukong/api/v1alpha1"
)

func TestReferenceAndObjectMeta(t *testing.T) {
	w := &v1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{
		Name: "web-0", Namespace: "prod", UID: "uid-1", Labels: map[string]string{"app": "web"},
	}}
	yes := true
	wantRef := metav1.OwnerReference{
		APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "Wukong", Name: "web-0", UID: "uid-1",
		Controller: &yes, BlockOwnerDeletion: &yes,
	}
	if got := Reference(w); !reflect.DeepEqual(got, wantRef) {
		t.Errorf("Reference = %+v, want %+v", got, wantRef)
	}

	got := ObjectMeta(w, "web-0-root")
	want := metav1.ObjectMeta{
		Name: "web-0-root", Namespace: "prod",
		// The Wukong's own labels stay off the children; only the VM copies them.
		Labels:          map[string]string{"vm.novasphere.dev/wukong": "web-0"},
		OwnerReferences: []metav1.OwnerReference{wantRef},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ObjectMeta = %+v, want %+v", got, want)
	}

	// Callers add to the returned labels; that must not leak into the next call.
	Labels(w)["extra"] = "x"
	if l := Labels(w); len(l) != 1 {
		t.Errorf("Labels shares its map between calls: %v", l)
	}
}

func TestWithout(t *testing.T) {
	a, b := metav1.OwnerReference{Name: "a", UID: "uid-a"}, metav1.OwnerReference{Name: "b", UID: "uid-b"}
	cases := []struct {
		name string
		refs []metav1.OwnerReference
		uid  string
		want []metav1.OwnerReference
	}{
		{"removes the owner, keeps the rest", []metav1.OwnerReference{a, b}, "uid-a", []metav1.OwnerReference{b}},
		{"no such owner", []metav1.OwnerReference{a}, "uid-c", []metav1.OwnerReference{a}},
		{"the only owner", []metav1.OwnerReference{a}, "uid-a", nil},
		{"none", nil, "uid-a", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Without(tc.refs, types.UID(tc.uid)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Without = %+v, want %+v", got, tc.want)
			}
		})
	}
}
