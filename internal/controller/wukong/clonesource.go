package wukong

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cdi"
	"github.com/novasphere/wukong/internal/naming"
)

// Clone sources are read with the APIReader, one GET each and only before a disk's DataVolume exists, so the
// manager neither caches nor watches every PVC and DataSource of the cluster: it needs get, not list.
//
// Cloning from another namespace needs more than this: CDI's DataVolume admission checks that whoever
// creates the DataVolume — the manager's ServiceAccount — may create datavolumes/source (or pods) in the
// source namespace. That grant belongs to the source namespace's owner, as a RoleBinding there; see
// docs/disks.md.
//
// +kubebuilder:rbac:groups=cdi.kubevirt.io,resources=datasources,verbs=get
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get

// missingSourceRetry is how often a Wukong whose DataSource is missing looks again: DataSources are not
// watched (see above).
const missingSourceRetry = 15 * time.Second

// checkCloneSources looks at the source of every clone disk (datasource://, pvc://) whose DataVolume does
// not exist yet. missing names a DataSource that does not exist: CDI's DataVolume admission refuses a
// DataVolume whose DataSource it cannot get (v1.63 pkg/apiserver/webhooks/datavolume-mutate.go Admit →
// AuthorizeUser → newCloneSourceHandler), so nothing is written until it exists. invalid is a disk smaller
// than its source PVC (cdi.CheckCloneSize). A source PVC that does not exist is no error: CDI keeps the
// DataVolume waiting for it (pvc-clone-controller.go validateCloneAndSourcePVC, event CloneWithoutSource),
// and the status says the clone is pending. err is a failure to read.
func (r *Reconciler) checkCloneSources(ctx context.Context, w *vmv1alpha1.Wukong) (missing string, invalid, err error) {
	for i, d := range w.Spec.Disks {
		if !cdi.IsClone(d) {
			continue
		}
		src, perr := cdi.ParseClone(d.Image)
		if perr != nil {
			return "", fmt.Errorf("spec.disks[%d].image: %w", i, perr), nil
		}
		exists, err := r.dataVolumeExists(ctx, w.Namespace, naming.DataVolume(w.Name, d.Name))
		if err != nil || exists {
			// An existing disk keeps its data whatever happens to its source later.
			if err != nil {
				return "", nil, err
			}
			continue
		}
		pvcKey := types.NamespacedName{Namespace: src.Namespace, Name: src.Name}
		if src.Kind == cdi.CloneFromDataSource {
			ds := &cdiv1.DataSource{}
			err := r.APIReader.Get(ctx, pvcKey, ds)
			if apierrors.IsNotFound(err) {
				return fmt.Sprintf("%s (spec.disks[%d].image)", src, i), nil, nil
			}
			if err != nil {
				return "", nil, fmt.Errorf("get %s: %w", src, err)
			}
			ns, name, ok := cdi.DataSourcePVC(ds)
			if !ok {
				continue
			}
			pvcKey = types.NamespacedName{Namespace: ns, Name: name}
		}
		pvc := &corev1.PersistentVolumeClaim{}
		switch err := r.APIReader.Get(ctx, pvcKey, pvc); {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return "", nil, fmt.Errorf("get PersistentVolumeClaim %s (clone source of spec.disks[%d]): %w", pvcKey, i, err)
		}
		if err := cdi.CheckCloneSize(i, d, src, pvc); err != nil {
			return "", err, nil
		}
	}
	return "", nil, nil
}

func (r *Reconciler) dataVolumeExists(ctx context.Context, namespace, name string) (bool, error) {
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &cdiv1.DataVolume{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get DataVolume %s: %w", name, err)
	}
	return true, nil
}

// clonePending describes a DataVolume that waits for its clone source, "" when it does not: CDI's
// CloneScheduled phase (v1.63 pkg/controller/datavolume/clone-controller-base.go populatorPhaseMap: a clone
// whose source is not ready, IsSourceClaimReady in pkg/controller/clone/common.go), or a clone not started
// at all.
func clonePending(dv *cdiv1.DataVolume) string {
	var source string
	switch {
	case dv.Spec.SourceRef != nil:
		ns := dv.Namespace
		if dv.Spec.SourceRef.Namespace != nil {
			ns = *dv.Spec.SourceRef.Namespace
		}
		source = "DataSource " + ns + "/" + dv.Spec.SourceRef.Name
	case dv.Spec.Source != nil && dv.Spec.Source.PVC != nil:
		source = "PersistentVolumeClaim " + dv.Spec.Source.PVC.Namespace + "/" + dv.Spec.Source.PVC.Name
	default:
		return ""
	}
	switch dv.Status.Phase {
	case cdiv1.CloneScheduled, cdiv1.Pending, cdiv1.PhaseUnset:
		return "clone from " + source + " pending (" + phaseName(dv.Status.Phase) + ")"
	}
	return ""
}

func phaseName(p cdiv1.DataVolumePhase) string {
	if p == cdiv1.PhaseUnset {
		return "not started"
	}
	return string(p)
}
