package cdi

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// wukong is the shared fixture: a boot disk from a registry second, a blank disk first.
func wukong() *v1alpha1.Wukong {
	fast := "fast-ssd"
	return &v1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-0", Namespace: "prod", UID: "uid-1",
			Labels: map[string]string{"app": "web", v1alpha1.LabelSet: "web"},
		},
		Spec: v1alpha1.WukongSpec{
			CPU:    2,
			Memory: resource.MustParse("4Gi"),
			Disks: []v1alpha1.Disk{
				{Name: "data", Size: resource.MustParse("50Gi"), StorageClassName: &fast},
				{Name: "root", Size: resource.MustParse("20Gi"), Image: "docker://quay.io/containerdisks/ubuntu:24.04", Boot: true},
			},
		},
	}
}

func TestDataVolumes(t *testing.T) {
	yes := true
	ownerRefs := []metav1.OwnerReference{{
		APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "Wukong", Name: "web-0", UID: "uid-1",
		Controller: &yes, BlockOwnerDeletion: &yes,
	}}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Name: name, Namespace: "prod",
			Labels:          map[string]string{"vm.novasphere.dev/wukong": "web-0"},
			OwnerReferences: ownerRefs,
		}
	}
	typeMeta := metav1.TypeMeta{APIVersion: "cdi.kubevirt.io/v1beta1", Kind: "DataVolume"}
	storage := func(size string, class *string) *cdiv1.StorageSpec {
		return &cdiv1.StorageSpec{
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
			},
			StorageClassName: class,
		}
	}
	fast := "fast-ssd"
	registryURL := "docker://quay.io/containerdisks/ubuntu:24.04"

	tests := []struct {
		name   string
		mutate func(w *v1alpha1.Wukong)
		want   []*cdiv1.DataVolume
	}{
		{
			name: "blank and registry disks in spec order",
			want: []*cdiv1.DataVolume{
				{
					TypeMeta: typeMeta, ObjectMeta: meta("web-0-data"),
					Spec: cdiv1.DataVolumeSpec{
						Source:  &cdiv1.DataVolumeSource{Blank: &cdiv1.DataVolumeBlankImage{}},
						Storage: storage("50Gi", &fast),
					},
				},
				{
					TypeMeta: typeMeta, ObjectMeta: meta("web-0-root"),
					Spec: cdiv1.DataVolumeSpec{
						Source:  &cdiv1.DataVolumeSource{Registry: &cdiv1.DataVolumeSourceRegistry{URL: &registryURL}},
						Storage: storage("20Gi", nil),
					},
				},
			},
		},
		{
			name: "https image",
			mutate: func(w *v1alpha1.Wukong) {
				w.Spec.Disks = []v1alpha1.Disk{{Name: "root", Size: resource.MustParse("10Gi"), Image: "https://example.com/disk.qcow2"}}
			},
			want: []*cdiv1.DataVolume{{
				TypeMeta: typeMeta, ObjectMeta: meta("web-0-root"),
				Spec: cdiv1.DataVolumeSpec{
					Source:  &cdiv1.DataVolumeSource{HTTP: &cdiv1.DataVolumeSourceHTTP{URL: "https://example.com/disk.qcow2"}},
					Storage: storage("10Gi", nil),
				},
			}},
		},
		{
			name: "http image",
			mutate: func(w *v1alpha1.Wukong) {
				w.Spec.Disks = []v1alpha1.Disk{{Name: "root", Size: resource.MustParse("10Gi"), Image: "http://10.0.0.1/disk.img"}}
			},
			want: []*cdiv1.DataVolume{{
				TypeMeta: typeMeta, ObjectMeta: meta("web-0-root"),
				Spec: cdiv1.DataVolumeSpec{
					Source:  &cdiv1.DataVolumeSource{HTTP: &cdiv1.DataVolumeSourceHTTP{URL: "http://10.0.0.1/disk.img"}},
					Storage: storage("10Gi", nil),
				},
			}},
		},
		{
			name:   "no disks",
			mutate: func(w *v1alpha1.Wukong) { w.Spec.Disks = nil },
			want:   []*cdiv1.DataVolume{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			if tt.mutate != nil {
				tt.mutate(w)
			}
			got, err := DataVolumes(w)
			if err != nil {
				t.Fatalf("DataVolumes: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DataVolumes mismatch\n got: %+v\nwant: %+v", got, tt.want)
			}
			again, _ := DataVolumes(w)
			if !reflect.DeepEqual(got, again) {
				t.Error("DataVolumes is not deterministic")
			}
		})
	}
}

func TestDataVolumesDoNotAliasSpec(t *testing.T) {
	w := wukong()
	dvs, err := DataVolumes(w)
	if err != nil {
		t.Fatal(err)
	}
	*dvs[0].Spec.Storage.StorageClassName = "changed"
	*dvs[1].Spec.Source.Registry.URL = "changed"
	if *w.Spec.Disks[0].StorageClassName != "fast-ssd" || w.Spec.Disks[1].Image == "changed" {
		t.Error("a built DataVolume shares memory with the Wukong")
	}
}

func TestDataVolumesErrors(t *testing.T) {
	tests := []struct {
		name, image, wantErr string
	}{
		{"unknown scheme", "ftp://host/disk.img", `spec.disks[1].image: unsupported scheme "ftp"`},
		{"no scheme", "quay.io/containerdisks/ubuntu", "spec.disks[1].image: image has no scheme"},
		{"nothing after scheme", "docker://", "spec.disks[1].image: image has nothing after docker://"},
		{"credentials are not echoed", "user:secret@host://x", "spec.disks[1].image: image has a malformed scheme"},
		{"scheme is case sensitive", "Docker://quay.io/x", `spec.disks[1].image: unsupported scheme "Docker"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			w.Spec.Disks[1].Image = tt.image
			_, err := DataVolumes(w)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
			}
		})
	}
}

func TestIsBlank(t *testing.T) {
	if !IsBlank(v1alpha1.Disk{Name: "data"}) {
		t.Error("disk without image is not blank")
	}
	if IsBlank(v1alpha1.Disk{Name: "root", Image: "docker://x"}) {
		t.Error("disk with image is blank")
	}
}
