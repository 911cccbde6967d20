package cdi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	"github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/owner"
)

// CloneKind is what a clone disk names: a CDI DataSource or a PersistentVolumeClaim.
type CloneKind string

// Clone kinds.
const (
	CloneFromDataSource CloneKind = "DataSource"
	CloneFromPVC        CloneKind = "PersistentVolumeClaim"
)

// CloneSource is the source a disk's image names with datasource://NAMESPACE/NAME or pvc://NAMESPACE/NAME.
type CloneSource struct {
	Kind      CloneKind
	Namespace string
	Name      string
}

// String is "DataSource ns/name" or "PersistentVolumeClaim ns/name", for messages. Clone sources hold no
// credentials, so they may be quoted.
func (s CloneSource) String() string { return string(s.Kind) + " " + s.Namespace + "/" + s.Name }

// ParseClone parses a datasource:// or pvc:// image. The CRD checks the same form at admission; this check
// repeats it for values rendered from a set's template.
func ParseClone(image string) (CloneSource, error) {
	scheme, rest, _ := strings.Cut(image, "://")
	var kind CloneKind
	switch scheme {
	case SchemeDataSource:
		kind = CloneFromDataSource
	case SchemePVC:
		kind = CloneFromPVC
	default:
		return CloneSource{}, fmt.Errorf("not a clone source; want datasource:// or pvc://")
	}
	ns, name, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(name, "/") {
		return CloneSource{}, fmt.Errorf("%s:// takes NAMESPACE/NAME", scheme)
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return CloneSource{}, fmt.Errorf("%s:// namespace %q: %s", scheme, ns, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return CloneSource{}, fmt.Errorf("%s:// name %q: %s", scheme, name, strings.Join(errs, "; "))
	}
	return CloneSource{Kind: kind, Namespace: ns, Name: name}, nil
}

// IsClone reports whether d is cloned by CDI (datasource:// or pvc://) rather than imported or blank.
func IsClone(d v1alpha1.Disk) bool {
	scheme, _, _ := strings.Cut(d.Image, "://")
	return scheme == SchemeDataSource || scheme == SchemePVC
}

// IsImport reports whether d is imported by CDI from a registry or a URL.
func IsImport(d v1alpha1.Disk) bool {
	scheme, _, _ := strings.Cut(d.Image, "://")
	return scheme == SchemeDocker || scheme == SchemeHTTP || scheme == SchemeHTTPS
}

// DataSourcePVC is the PVC a DataSource points at, as CDI resolves it (v1.63 authorize_utils.go
// newCloneSourceHandler): spec.source.pvc, or for a DataSource that refers to another DataSource,
// status.source.pvc. ok is false for a DataSource backed by a VolumeSnapshot or not resolved yet.
func DataSourcePVC(ds *cdiv1.DataSource) (namespace, name string, ok bool) {
	pvc := ds.Spec.Source.PVC
	if ds.Spec.Source.DataSource != nil {
		pvc = ds.Status.Source.PVC
	}
	if pvc == nil || pvc.Name == "" {
		return "", "", false
	}
	namespace = pvc.Namespace
	if namespace == "" {
		namespace = ds.Namespace
	}
	return namespace, pvc.Name, true
}

// PVCSize is the size a clone of pvc must at least have: its capacity once bound, else its request.
func PVCSize(pvc *corev1.PersistentVolumeClaim) (resource.Quantity, bool) {
	if q, ok := pvc.Status.Capacity[corev1.ResourceStorage]; ok && !q.IsZero() {
		return q, true
	}
	q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	return q, ok && !q.IsZero()
}

// CheckCloneSize fails when a disk is smaller than the PVC it clones. CDI would accept the DataVolume and
// then never clone it: its clone controller refuses a target smaller than the source (v1.63
// pkg/controller/datavolume/pvc-clone-controller.go validateClone, "target resources requests storage size
// is smaller than the source") with only a CloneValidationFailed event, leaving the DataVolume where it is.
func CheckCloneSize(index int, d v1alpha1.Disk, src CloneSource, pvc *corev1.PersistentVolumeClaim) error {
	size, ok := PVCSize(pvc)
	if !ok || d.Size.Cmp(size) >= 0 {
		return nil
	}
	return fmt.Errorf("spec.disks[%d].size: %s is smaller than its clone source %s (PVC %s/%s, %s); CDI clones only into a disk at least as large as the source",
		index, d.Size.String(), src, pvc.Namespace, pvc.Name, size.String())
}

// Golden is a set's golden volume: one import of an image that members' disks clone.
type Golden struct {
	// Name is the DataVolume's name, <set>-golden-<Hash>.
	Name string
	// Hash identifies the image, size and storage class the volume is imported with.
	Hash string
	// Disk is the disk it is imported for (its image, size and storage class; its name is not used).
	Disk v1alpha1.Disk
}

// GoldenFor is the golden volume of a set for an imported disk: named from the set and a hash of the
// rendered image, the size and the storage class, so each distinct import is made once per set and disks
// that need another size or class (a clone is at least as large as its source, and CSI clones stay within a
// storage class) get a volume of their own.
func GoldenFor(set string, d v1alpha1.Disk) Golden {
	class := ""
	if d.StorageClassName != nil {
		class = *d.StorageClassName
	}
	sum := sha256.Sum256([]byte(d.Image + "\x00" + d.Size.String() + "\x00" + class))
	hash := hex.EncodeToString(sum[:])[:10]
	return Golden{Name: set + "-golden-" + hash, Hash: hash, Disk: v1alpha1.Disk{
		Name: "golden", Image: d.Image, Size: d.Size.DeepCopy(), StorageClassName: copyString(d.StorageClassName),
	}}
}

// GoldenDataVolume builds a set's golden DataVolume: the import of g's image, owned by the set (controller
// reference: it goes with the set) and labelled with the set and LabelGolden. It carries no annotation with
// the image, whose URL may hold credentials.
func GoldenDataVolume(set *v1alpha1.WukongSet, g Golden) (*cdiv1.DataVolume, error) {
	source, _, err := Sources(g.Disk)
	if err != nil {
		return nil, fmt.Errorf("golden volume %s: %w", g.Name, err)
	}
	return &cdiv1.DataVolume{
		TypeMeta: metav1.TypeMeta{APIVersion: cdiv1.SchemeGroupVersion.String(), Kind: "DataVolume"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            g.Name,
			Namespace:       set.Namespace,
			Labels:          map[string]string{v1alpha1.LabelSet: set.Name, v1alpha1.LabelGolden: g.Hash},
			OwnerReferences: []metav1.OwnerReference{owner.SetReference(set)},
		},
		Spec: cdiv1.DataVolumeSpec{
			Source: source,
			Storage: &cdiv1.StorageSpec{
				Resources: corev1.VolumeResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceStorage: g.Disk.Size.DeepCopy()},
				},
				StorageClassName: copyString(g.Disk.StorageClassName),
			},
		},
	}, nil
}

// GoldenImage is the image a member's disk carries to clone golden volume name in namespace.
func GoldenImage(namespace, name string) string { return SchemePVC + "://" + namespace + "/" + name }
