package cdi

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// TestDataVolumeModes: a disk's accessMode and volumeMode reach the DataVolume's storage spec; absent ones
// stay absent, for CDI's StorageProfile to fill.
func TestDataVolumeModes(t *testing.T) {
	block := corev1.PersistentVolumeBlock
	for _, tc := range []struct {
		name      string
		disk      v1alpha1.Disk
		wantModes []corev1.PersistentVolumeAccessMode
		wantMode  *corev1.PersistentVolumeMode
	}{
		{"storage profile decides", v1alpha1.Disk{Name: "root", Size: resource.MustParse("1Gi")}, nil, nil},
		{"shared block volume", v1alpha1.Disk{Name: "root", Size: resource.MustParse("1Gi"),
			AccessMode: corev1.ReadWriteMany, VolumeMode: corev1.PersistentVolumeBlock},
			[]corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}, &block},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &v1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns"},
				Spec: v1alpha1.WukongSpec{Disks: []v1alpha1.Disk{tc.disk}}}
			dvs, err := DataVolumes(w)
			if err != nil {
				t.Fatal(err)
			}
			s := dvs[0].Spec.Storage
			if !reflect.DeepEqual(s.AccessModes, tc.wantModes) || !reflect.DeepEqual(s.VolumeMode, tc.wantMode) {
				t.Errorf("storage accessModes %v volumeMode %v; want %v %v", s.AccessModes, s.VolumeMode, tc.wantModes, tc.wantMode)
			}
		})
	}
}
