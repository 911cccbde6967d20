// Package cdi builds the CDI DataVolumes behind a Wukong's disks. The functions are pure: the same Wukong
// always yields the same objects, so the controller can compare desired and existing and skip equal writes.
package cdi

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	"github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/owner"
)

// Image schemes a disk may use. CDI's registry source wants the docker:// prefix kept in the URL.
// datasource:// and pvc:// are clones (see clone.go).
const (
	SchemeDocker     = "docker"
	SchemeHTTP       = "http"
	SchemeHTTPS      = "https"
	SchemeDataSource = "datasource"
	SchemePVC        = "pvc"
)

// DataVolumes returns one DataVolume per disk of w, in spec order. It fails when a disk's image has a scheme
// CDI cannot import from; the error names the field (spec.disks[i].image) but not the image, whose URL may
// carry credentials.
func DataVolumes(w *v1alpha1.Wukong) ([]*cdiv1.DataVolume, error) {
	dvs := make([]*cdiv1.DataVolume, 0, len(w.Spec.Disks))
	for i, disk := range w.Spec.Disks {
		source, sourceRef, err := Sources(disk)
		if err != nil {
			return nil, fmt.Errorf("spec.disks[%d].image: %w", i, err)
		}
		dvs = append(dvs, &cdiv1.DataVolume{
			TypeMeta: metav1.TypeMeta{
				APIVersion: cdiv1.SchemeGroupVersion.String(),
				Kind:       "DataVolume",
			},
			ObjectMeta: owner.ObjectMeta(w, naming.DataVolume(w.Name, disk.Name)),
			Spec: cdiv1.DataVolumeSpec{
				Source:    source,
				SourceRef: sourceRef,
				// spec.storage rather than spec.pvc: CDI then fills access and volume modes from the
				// StorageProfile of the class, which a Wukong does not expose.
				Storage: &cdiv1.StorageSpec{
					Resources: corev1.VolumeResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceStorage: disk.Size.DeepCopy()},
					},
					StorageClassName: copyString(disk.StorageClassName),
					AccessModes:      accessModes(disk),
					VolumeMode:       volumeMode(disk),
				},
			},
		})
	}
	return dvs, nil
}

// IsBlank reports whether d is a blank disk, one CDI creates empty instead of importing.
func IsBlank(d v1alpha1.Disk) bool { return d.Image == "" }

// wantSchemes lists the schemes an image may have, for errors.
const wantSchemes = "want docker://, http://, https://, datasource:// or pvc://"

// Sources is where a disk's DataVolume gets its data: spec.source (a registry for docker://, HTTP for
// http(s)://, a PVC clone for pvc://, blank for no image) or spec.sourceRef (a DataSource clone for
// datasource://). Exactly one of the two is set. Any other scheme is an error.
func Sources(d v1alpha1.Disk) (*cdiv1.DataVolumeSource, *cdiv1.DataVolumeSourceRef, error) {
	if IsBlank(d) {
		return &cdiv1.DataVolumeSource{Blank: &cdiv1.DataVolumeBlankImage{}}, nil, nil
	}
	scheme, rest, ok := strings.Cut(d.Image, "://")
	if !ok {
		return nil, nil, fmt.Errorf("image has no scheme; %s", wantSchemes)
	}
	if rest == "" {
		return nil, nil, fmt.Errorf("image has nothing after %s://", scheme)
	}
	url := d.Image
	switch scheme {
	case SchemeDocker:
		return &cdiv1.DataVolumeSource{Registry: &cdiv1.DataVolumeSourceRegistry{URL: &url}}, nil, nil
	case SchemeHTTP, SchemeHTTPS:
		return &cdiv1.DataVolumeSource{HTTP: &cdiv1.DataVolumeSourceHTTP{URL: url}}, nil, nil
	case SchemeDataSource, SchemePVC:
		src, err := ParseClone(d.Image)
		if err != nil {
			return nil, nil, err
		}
		if src.Kind == CloneFromPVC {
			return &cdiv1.DataVolumeSource{PVC: &cdiv1.DataVolumeSourcePVC{Namespace: src.Namespace, Name: src.Name}}, nil, nil
		}
		ns := src.Namespace
		return nil, &cdiv1.DataVolumeSourceRef{Kind: cdiv1.DataVolumeDataSource, Namespace: &ns, Name: src.Name}, nil
	default:
		if !isSchemeName(scheme) {
			// Not a scheme at all, perhaps "user:password@host://..."; do not echo it.
			return nil, nil, fmt.Errorf("image has a malformed scheme; %s", wantSchemes)
		}
		return nil, nil, fmt.Errorf("unsupported scheme %q; %s", scheme, wantSchemes)
	}
}

// isSchemeName reports whether s is a URI scheme as RFC 3986 spells it, so an error may quote it safely.
func isSchemeName(s string) bool {
	for i, r := range s {
		letter := ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
		if !letter && (i == 0 || !('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return s != ""
}

// copyString copies a pointer's target so the built object never aliases the Wukong it came from.
func copyString(s *string) *string {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}
