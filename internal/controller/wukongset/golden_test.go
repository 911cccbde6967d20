package wukongset

import (
	"github.com/novasphere/wukong/internal/setmember"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cdi"
)

func golden(name string) cdi.Golden { return cdi.Golden{Name: name} }

func TestPlanGoldens(t *testing.T) {
	tests := []struct {
		name string
		in   goldenInput
		want goldenPlan
	}{
		{
			name: "nothing desired, nothing existing",
			want: goldenPlan{},
		},
		{
			name: "a desired image is imported once, however many members need it",
			in:   goldenInput{Desired: []cdi.Golden{golden("s-golden-a"), golden("s-golden-a"), golden("s-golden-a")}},
			want: goldenPlan{Create: []cdi.Golden{golden("s-golden-a")}},
		},
		{
			name: "an existing golden volume is kept while desired",
			in:   goldenInput{Desired: []cdi.Golden{golden("s-golden-a")}, Existing: []goldenVolume{{Name: "s-golden-a"}}},
			want: goldenPlan{},
		},
		{
			name: "a new image: the new one is imported, the old one kept while a member's spec still names it",
			in: goldenInput{
				Desired:    []cdi.Golden{golden("s-golden-b")},
				Existing:   []goldenVolume{{Name: "s-golden-a"}},
				Referenced: map[string]bool{"s-golden-a": true},
			},
			want: goldenPlan{Create: []cdi.Golden{golden("s-golden-b")}},
		},
		{
			name: "no member names it and no clone of it runs: deleted",
			in: goldenInput{
				Desired:  []cdi.Golden{golden("s-golden-b")},
				Existing: []goldenVolume{{Name: "s-golden-a"}, {Name: "s-golden-b"}},
			},
			want: goldenPlan{Delete: []string{"s-golden-a"}},
		},
		{
			name: "policy back to ImportPerMember: every unreferenced golden volume goes",
			in: goldenInput{
				Existing:   []goldenVolume{{Name: "s-golden-a"}, {Name: "s-golden-b"}, {Name: "s-golden-c"}},
				Referenced: map[string]bool{"s-golden-b": true},
			},
			want: goldenPlan{Delete: []string{"s-golden-a", "s-golden-c"}},
		},
		{
			name: "a desired name held by a golden volume being deleted waits",
			in: goldenInput{
				Desired:  []cdi.Golden{golden("s-golden-a")},
				Existing: []goldenVolume{{Name: "s-golden-a", Deleting: true}},
			},
			want: goldenPlan{Waiting: 1},
		},
		{
			name: "one being deleted is not deleted again",
			in:   goldenInput{Existing: []goldenVolume{{Name: "s-golden-a", Deleting: true}}},
			want: goldenPlan{},
		},
		{
			name: "creates and deletes in name order",
			in: goldenInput{
				Desired:  []cdi.Golden{golden("s-golden-d"), golden("s-golden-c")},
				Existing: []goldenVolume{{Name: "s-golden-b"}, {Name: "s-golden-a"}},
			},
			want: goldenPlan{Create: []cdi.Golden{golden("s-golden-c"), golden("s-golden-d")}, Delete: []string{"s-golden-a", "s-golden-b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planGoldens(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("planGoldens:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestUseGoldens: under ImportOnce only imported disks are pointed at golden volumes; clones and blank disks
// are left alone. Under the default policy nothing changes.
func TestUseGoldens(t *testing.T) {
	spec := func() vmv1alpha1.WukongSpec {
		return vmv1alpha1.WukongSpec{Disks: []vmv1alpha1.Disk{
			{Name: "system", Size: resource.MustParse("20Gi"), Image: "docker://quay.io/u:22.04"},
			{Name: "iso", Size: resource.MustParse("1Gi"), Image: "https://example.com/tools.iso"},
			{Name: "base", Size: resource.MustParse("20Gi"), Image: "datasource://os-images/ubuntu"},
			{Name: "data", Size: resource.MustParse("100Gi")},
		}}
	}
	set := &vmv1alpha1.WukongSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod"}}

	s := spec()
	if gs := setmember.UseGoldens(set, &s); gs != nil || !reflect.DeepEqual(s, spec()) {
		t.Fatalf("ImportPerMember changed the spec (%v) or needs golden volumes %v", s, gs)
	}

	set.Spec.ImagePolicy = vmv1alpha1.ImagePolicyImportOnce
	s = spec()
	gs := setmember.UseGoldens(set, &s)
	want := []cdi.Golden{cdi.GoldenFor("web", spec().Disks[0]), cdi.GoldenFor("web", spec().Disks[1])}
	if !reflect.DeepEqual(gs, want) {
		t.Fatalf("golden volumes %+v, want %+v", gs, want)
	}
	wantImages := []string{"pvc://prod/" + want[0].Name, "pvc://prod/" + want[1].Name, "datasource://os-images/ubuntu", ""}
	for i, d := range s.Disks {
		if d.Image != wantImages[i] {
			t.Errorf("disk %s image %q, want %q", d.Name, d.Image, wantImages[i])
		}
	}
}

func TestRunningCloneSource(t *testing.T) {
	clone := func(phase cdiv1.DataVolumePhase) *cdiv1.DataVolume {
		return &cdiv1.DataVolume{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-0-root"},
			Spec:       cdiv1.DataVolumeSpec{Source: &cdiv1.DataVolumeSource{PVC: &cdiv1.DataVolumeSourcePVC{Namespace: "ns", Name: "web-golden-abc"}}},
			Status:     cdiv1.DataVolumeStatus{Phase: phase},
		}
	}
	tests := []struct {
		name string
		obj  client.Object
		want []string
	}{
		{"clone pending", clone(cdiv1.Pending), []string{"ns/web-golden-abc"}},
		{"clone running", clone(cdiv1.CloneInProgress), []string{"ns/web-golden-abc"}},
		{"clone failed is still a user", clone(cdiv1.Failed), []string{"ns/web-golden-abc"}},
		{"clone succeeded: the disk holds its own copy", clone(cdiv1.Succeeded), nil},
		{"import", &cdiv1.DataVolume{Spec: cdiv1.DataVolumeSpec{Source: &cdiv1.DataVolumeSource{HTTP: &cdiv1.DataVolumeSourceHTTP{URL: "https://x"}}}}, nil},
		{"no source", &cdiv1.DataVolume{}, nil},
		{"not a DataVolume", &vmv1alpha1.Wukong{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runningCloneSource(tt.obj); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("runningCloneSource = %v, want %v", got, tt.want)
			}
		})
	}
}
