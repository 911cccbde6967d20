package cdi

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// accessModes is the disk's accessMode as the DataVolume's; nil leaves it to CDI's StorageProfile of the
// class. Live migration needs ReadWriteMany (KubeVirt v1.7 pkg/virt-handler/vm.go checkVolumesForMigration).
func accessModes(d v1alpha1.Disk) []corev1.PersistentVolumeAccessMode {
	if d.AccessMode == "" {
		return nil
	}
	return []corev1.PersistentVolumeAccessMode{d.AccessMode}
}

// volumeMode is the disk's volumeMode as the DataVolume's; nil leaves it to CDI's StorageProfile.
func volumeMode(d v1alpha1.Disk) *corev1.PersistentVolumeMode {
	if d.VolumeMode == "" {
		return nil
	}
	m := d.VolumeMode
	return &m
}
