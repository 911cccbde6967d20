package owner

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// TestReferences: every controller reference the operator writes has the same shape, whatever the owner.
func TestReferences(t *testing.T) {
	yes := true
	cases := []struct {
		name string
		ref  func() metav1.OwnerReference
		want metav1.OwnerReference
	}{
		{
			name: "Wukong",
			ref: func() metav1.OwnerReference {
				return Reference(&v1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "prod", UID: "uid-1"}})
			},
			want: metav1.OwnerReference{
				APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "Wukong", Name: "web-0", UID: "uid-1",
				Controller: &yes, BlockOwnerDeletion: &yes,
			},
		},
		{
			name: "WukongSet",
			ref: func() metav1.OwnerReference {
				return SetReference(&v1alpha1.WukongSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", UID: "uid-2"}})
			},
			want: metav1.OwnerReference{
				APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "WukongSet", Name: "web", UID: "uid-2",
				Controller: &yes, BlockOwnerDeletion: &yes,
			},
		},
		{
			// A typed client leaves TypeMeta empty; the kind must not come from it.
			name: "WukongSet with a foreign TypeMeta",
			ref: func() metav1.OwnerReference {
				return SetReference(&v1alpha1.WukongSet{
					TypeMeta:   metav1.TypeMeta{APIVersion: "example.com/v1", Kind: "Other"},
					ObjectMeta: metav1.ObjectMeta{Name: "web", UID: "uid-2"},
				})
			},
			want: metav1.OwnerReference{
				APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "WukongSet", Name: "web", UID: "uid-2",
				Controller: &yes, BlockOwnerDeletion: &yes,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.ref()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("reference = %+v, want %+v", got, tc.want)
			}
			// A caller that edits one reference must not edit the next one.
			*got.Controller, *got.BlockOwnerDeletion = false, false
			if again := tc.ref(); !*again.Controller || !*again.BlockOwnerDeletion {
				t.Errorf("references share their Controller or BlockOwnerDeletion pointers")
			}
		})
	}
}

func TestObjectMeta(t *testing.T) {
	w := &v1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{
		Name: "web-0", Namespace: "prod", UID: "uid-1", Labels: map[string]string{"app": "web"},
	}}
	got := ObjectMeta(w, "web-0-root")
	want := metav1.ObjectMeta{
		Name: "web-0-root", Namespace: "prod",
		// The Wukong's own labels stay off the children; only the VM copies them.
		Labels:          map[string]string{"vm.novasphere.dev/wukong": "web-0"},
		OwnerReferences: []metav1.OwnerReference{Reference(w)},
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
