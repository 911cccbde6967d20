package cdi

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

func TestCloneSources(t *testing.T) {
	tests := []struct {
		name, image string
		source      *cdiv1.DataVolumeSource
		sourceRef   *cdiv1.DataVolumeSourceRef
		wantErr     string
	}{
		{
			name: "datasource is a sourceRef", image: "datasource://os-images/ubuntu-22.04",
			sourceRef: &cdiv1.DataVolumeSourceRef{Kind: "DataSource", Namespace: ptr.To("os-images"), Name: "ubuntu-22.04"},
		},
		{
			name: "pvc is a source.pvc", image: "pvc://golden/rhel-9.4",
			source: &cdiv1.DataVolumeSource{PVC: &cdiv1.DataVolumeSourcePVC{Namespace: "golden", Name: "rhel-9.4"}},
		},
		{name: "no name", image: "pvc://golden", wantErr: "pvc:// takes NAMESPACE/NAME"},
		{name: "too many parts", image: "datasource://a/b/c", wantErr: "datasource:// takes NAMESPACE/NAME"},
		{name: "namespace not a label", image: "pvc://Golden/x", wantErr: `pvc:// namespace "Golden"`},
		{name: "name not a subdomain", image: "datasource://os/Ubuntu_22", wantErr: `datasource:// name "Ubuntu_22"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, ref, err := Sources(v1alpha1.Disk{Name: "root", Size: resource.MustParse("1Gi"), Image: tt.image})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(src, tt.source) || !reflect.DeepEqual(ref, tt.sourceRef) {
				t.Errorf("source %+v, sourceRef %+v; want %+v, %+v", src, ref, tt.source, tt.sourceRef)
			}
		})
	}
}

// TestDataVolumesClone checks the DataVolume of a datasource:// disk field by field: sourceRef, no source,
// the disk's size in spec.storage.
func TestDataVolumesClone(t *testing.T) {
	w := wukong()
	w.Spec.Disks[1].Image = "datasource://os-images/ubuntu-22.04"
	dvs, err := DataVolumes(w)
	if err != nil {
		t.Fatal(err)
	}
	got := dvs[1].Spec
	if got.Source != nil {
		t.Errorf("source = %+v, want none next to sourceRef", got.Source)
	}
	want := &cdiv1.DataVolumeSourceRef{Kind: "DataSource", Namespace: ptr.To("os-images"), Name: "ubuntu-22.04"}
	if !reflect.DeepEqual(got.SourceRef, want) {
		t.Errorf("sourceRef = %+v, want %+v", got.SourceRef, want)
	}
	if q := got.Storage.Resources.Requests[corev1.ResourceStorage]; q.Cmp(resource.MustParse("20Gi")) != 0 {
		t.Errorf("size = %s, want 20Gi", q.String())
	}
}

func TestDataSourcePVC(t *testing.T) {
	tests := []struct {
		name         string
		ds           cdiv1.DataSource
		wantNS, want string
		ok           bool
	}{
		{"pvc", cdiv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: "os"}, Spec: cdiv1.DataSourceSpec{Source: cdiv1.DataSourceSource{
			PVC: &cdiv1.DataVolumeSourcePVC{Namespace: "images", Name: "u"}}}}, "images", "u", true},
		{"pvc in the DataSource's namespace", cdiv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: "os"}, Spec: cdiv1.DataSourceSpec{Source: cdiv1.DataSourceSource{
			PVC: &cdiv1.DataVolumeSourcePVC{Name: "u"}}}}, "os", "u", true},
		{"chain resolved in status", cdiv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: "os"},
			Spec:   cdiv1.DataSourceSpec{Source: cdiv1.DataSourceSource{DataSource: &cdiv1.DataSourceRefSourceDataSource{Namespace: "os", Name: "other"}}},
			Status: cdiv1.DataSourceStatus{Source: cdiv1.DataSourceSource{PVC: &cdiv1.DataVolumeSourcePVC{Namespace: "images", Name: "v"}}}}, "images", "v", true},
		{"snapshot", cdiv1.DataSource{Spec: cdiv1.DataSourceSpec{Source: cdiv1.DataSourceSource{
			Snapshot: &cdiv1.DataVolumeSourceSnapshot{Namespace: "os", Name: "snap"}}}}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, name, ok := DataSourcePVC(&tt.ds)
			if ns != tt.wantNS || name != tt.want || ok != tt.ok {
				t.Errorf("got %s/%s %v, want %s/%s %v", ns, name, ok, tt.wantNS, tt.want, tt.ok)
			}
		})
	}
}

func TestCheckCloneSize(t *testing.T) {
	src := CloneSource{Kind: CloneFromDataSource, Namespace: "os-images", Name: "ubuntu-22.04"}
	pvc := func(request, capacity string) *corev1.PersistentVolumeClaim {
		p := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "os-images", Name: "ubuntu"}}
		if request != "" {
			p.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(request)}
		}
		if capacity != "" {
			p.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(capacity)}
		}
		return p
	}
	tests := []struct {
		name, size string
		pvc        *corev1.PersistentVolumeClaim
		wantErr    string
	}{
		{"larger", "40Gi", pvc("20Gi", ""), ""},
		{"equal", "20Gi", pvc("20Gi", "20Gi"), ""},
		{"smaller than the request", "10Gi", pvc("20Gi", ""), "spec.disks[0].size: 10Gi is smaller than its clone source DataSource os-images/ubuntu-22.04 (PVC os-images/ubuntu, 20Gi)"},
		{"capacity wins over the request", "20Gi", pvc("20Gi", "21Gi"), "smaller than its clone source"},
		{"no size known", "1Gi", pvc("", ""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCloneSize(0, v1alpha1.Disk{Name: "root", Size: resource.MustParse(tt.size)}, src, tt.pvc)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestGoldenFor: one golden volume per image, size and storage class; the name is deterministic and short
// enough for the longest set name.
func TestGoldenFor(t *testing.T) {
	disk := func(image, size string, class *string) v1alpha1.Disk {
		return v1alpha1.Disk{Name: "system", Image: image, Size: resource.MustParse(size), StorageClassName: class}
	}
	a := GoldenFor("web", disk("docker://quay.io/u:22.04", "20Gi", nil))
	if again := GoldenFor("web", disk("docker://quay.io/u:22.04", "20Gi", nil)); again.Name != a.Name {
		t.Errorf("not deterministic: %s, %s", a.Name, again.Name)
	}
	if !strings.HasPrefix(a.Name, "web-golden-") || len(a.Name) != len("web-golden-")+10 || a.Hash != strings.TrimPrefix(a.Name, "web-golden-") {
		t.Errorf("name %s hash %s", a.Name, a.Hash)
	}
	for _, other := range []v1alpha1.Disk{
		disk("docker://quay.io/u:24.04", "20Gi", nil),
		disk("docker://quay.io/u:22.04", "40Gi", nil),
		disk("docker://quay.io/u:22.04", "20Gi", ptr.To("fast")),
	} {
		if g := GoldenFor("web", other); g.Name == a.Name {
			t.Errorf("%+v shares golden volume %s with %+v", other, g.Name, a.Disk)
		}
	}
	set := &v1alpha1.WukongSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", UID: "set-uid"}}
	dv, err := GoldenDataVolume(set, a)
	if err != nil {
		t.Fatal(err)
	}
	if dv.Spec.Source.Registry == nil || *dv.Spec.Source.Registry.URL != "docker://quay.io/u:22.04" {
		t.Errorf("source %+v", dv.Spec.Source)
	}
	ref := metav1.GetControllerOf(dv)
	if ref == nil || ref.Kind != "WukongSet" || ref.UID != "set-uid" || dv.Namespace != "prod" ||
		dv.Labels[v1alpha1.LabelSet] != "web" || dv.Labels[v1alpha1.LabelGolden] != a.Hash || len(dv.Annotations) != 0 {
		t.Errorf("golden DataVolume metadata %+v", dv.ObjectMeta)
	}
	if GoldenImage("prod", a.Name) != "pvc://prod/"+a.Name {
		t.Errorf("GoldenImage = %s", GoldenImage("prod", a.Name))
	}
}
