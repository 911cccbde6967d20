package sim

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CDI clones, as the simulator plays them. A DataVolume with spec.source.pvc, or spec.sourceRef naming a
// DataSource, is a clone. CDI v1.63 follows here:
//
//   - A DataSource is resolved to its PVC (spec.source.pvc, or status.source.pvc for a DataSource that
//     refers to another; pkg/controller/datavolume/controller-base.go getSourceRefOp and
//     pkg/controller/common ResolveDataSourceChain).
//   - The clone waits, in phase CloneScheduled, until its source is ready: the source PVC exists and is
//     populated, that is, when a DataVolume controls it, that DataVolume has Succeeded
//     (pkg/controller/clone/common.go IsSourceClaimReady → IsPopulated in the API's utils.go; the phase from
//     pkg/controller/datavolume/clone-controller-base.go populatorPhaseMap, "" and Pending →
//     CloneScheduled). A missing source keeps it waiting too (pvc-clone-controller.go
//     validateCloneAndSourcePVC, event CloneWithoutSource), as does a missing DataSource.
//   - Then it copies (CloneInProgress with progress, the host-assisted phase) for the clone duration and
//     Succeeds.
//
// The simulator creates no PersistentVolumeClaims: a DataVolume stands for the PVC CDI would create under
// the same name, so a clone of pvc://ns/name waits for DataVolume ns/name when there is no PVC of that name.
// A PVC a test creates itself (a golden image's) counts as populated unless a DataVolume controls it.

// cloneSourcePoll is how often a clone waiting for its source looks again. The source's progress is a
// status change, which the simulator's watches filter out (see dataVolumeReconciler.setup).
const cloneSourcePoll = 250 * time.Millisecond

// cloneMessageComplete is what CDI writes on a finished clone.
const cloneMessageComplete = "Clone Complete"

// isClone reports whether CDI clones dv rather than importing or creating it.
func isClone(dv *cdiv1.DataVolume) bool {
	return dv.Spec.SourceRef != nil || (dv.Spec.Source != nil && dv.Spec.Source.PVC != nil)
}

// cloneSourceReady reads dv's source: ready when it may be cloned now, else why not. r reads directly from
// the apiserver (PVCs and DataSources are not cached by the simulator).
func cloneSourceReady(ctx context.Context, r client.Reader, dv *cdiv1.DataVolume) (bool, string, error) {
	var key types.NamespacedName
	switch {
	case dv.Spec.SourceRef != nil:
		ns := dv.Namespace
		if dv.Spec.SourceRef.Namespace != nil && *dv.Spec.SourceRef.Namespace != "" {
			ns = *dv.Spec.SourceRef.Namespace
		}
		ds := &cdiv1.DataSource{}
		err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: dv.Spec.SourceRef.Name}, ds)
		if apierrors.IsNotFound(err) {
			return false, fmt.Sprintf("DataSource %s/%s not found", ns, dv.Spec.SourceRef.Name), nil
		}
		if err != nil {
			return false, "", err
		}
		pvc := ds.Spec.Source.PVC
		if ds.Spec.Source.DataSource != nil {
			pvc = ds.Status.Source.PVC
		}
		if pvc == nil {
			// A snapshot source: the simulator has no snapshots to wait for.
			return ds.Spec.Source.Snapshot != nil, "DataSource has no source", nil
		}
		key = types.NamespacedName{Namespace: pvc.Namespace, Name: pvc.Name}
		if key.Namespace == "" {
			key.Namespace = ds.Namespace
		}
	default:
		key = types.NamespacedName{Namespace: dv.Spec.Source.PVC.Namespace, Name: dv.Spec.Source.PVC.Name}
		if key.Namespace == "" {
			key.Namespace = dv.Namespace
		}
	}
	pvc := &corev1.PersistentVolumeClaim{}
	err := r.Get(ctx, key, pvc)
	switch {
	case apierrors.IsNotFound(err):
		// The DataVolume that stands for the PVC (see above).
	case err != nil:
		return false, "", err
	default:
		owner := metav1.GetControllerOf(pvc)
		if owner == nil || owner.Kind != "DataVolume" {
			return true, "", nil
		}
		key.Name = owner.Name
	}
	src := &cdiv1.DataVolume{}
	err = r.Get(ctx, key, src)
	if apierrors.IsNotFound(err) {
		return false, fmt.Sprintf("The source pvc %s doesn't exist", key.Name), nil
	}
	if err != nil {
		return false, "", err
	}
	if src.Status.Phase != cdiv1.Succeeded {
		return false, fmt.Sprintf("source %s is %s", key, src.Status.Phase), nil
	}
	return true, "", nil
}

// cloneStages are the steps of a clone once its source is ready, and how long each lasts.
func cloneStages(cloneDuration time.Duration) ([]dvStage, time.Duration) {
	stages := make([]dvStage, 0, importSlices)
	for i := range importSlices {
		stages = append(stages, dvStage{cdiv1.CloneInProgress, progressOf(i, importSlices)})
	}
	return stages, cloneDuration / time.Duration(len(stages))
}

// planClone is the simulated CDI's decision for one clone DataVolume, as planDataVolume is for imports:
// the status now and how long until the next step. sourceReady says whether its source may be cloned;
// a clone not started yet waits in CloneScheduled until it may (and is polled).
func planClone(dv *cdiv1.DataVolume, importError string, sourceReady bool, inStage, cloneDuration time.Duration, now metav1.Time) (cdiv1.DataVolumeStatus, time.Duration) {
	st := *dv.Status.DeepCopy()
	st.ClaimName = dv.Name
	if st.Phase == cdiv1.Succeeded {
		return st, 0
	}
	if importError != "" {
		st.Phase = cdiv1.Failed
		setDVCondition(&st, cdiv1.DataVolumeBound, corev1.ConditionTrue, dvReasonBound, "PVC "+dv.Name+" Bound", now)
		setDVCondition(&st, cdiv1.DataVolumeReady, corev1.ConditionFalse, "", "", now)
		setDVCondition(&st, cdiv1.DataVolumeRunning, corev1.ConditionFalse, dvReasonError, importError, now)
		return st, 0
	}
	stages, step := cloneStages(cloneDuration)
	started := st.Phase == cdiv1.CloneInProgress
	if !started && !sourceReady {
		st.Phase, st.Progress = cdiv1.CloneScheduled, dvProgressNA
		setDVCondition(&st, cdiv1.DataVolumeBound, corev1.ConditionFalse, dvReasonPending, "PVC "+dv.Name+" Pending", now)
		setDVCondition(&st, cdiv1.DataVolumeReady, corev1.ConditionFalse, "", "", now)
		setDVCondition(&st, cdiv1.DataVolumeRunning, corev1.ConditionFalse, "", "", now)
		return st, cloneSourcePoll
	}
	next := 0
	if started {
		cur := stageIndex(stages, st)
		if inStage < step {
			return st, step - inStage
		}
		next = cur + 1
	}
	if step == 0 || next >= len(stages) {
		setDVSucceeded(&st, dv.Name, cloneMessageComplete, now)
		return st, 0
	}
	s := stages[next]
	st.Phase, st.Progress = s.phase, s.progress
	setDVCondition(&st, cdiv1.DataVolumeBound, corev1.ConditionTrue, dvReasonBound, "PVC "+dv.Name+" Bound", now)
	setDVCondition(&st, cdiv1.DataVolumeReady, corev1.ConditionFalse, "", "", now)
	setDVCondition(&st, cdiv1.DataVolumeRunning, corev1.ConditionTrue, dvReasonRunning, "", now)
	return st, step
}

// PublishImage does what a cluster administrator does to publish a golden image the way KubeVirt does: in
// namespace (created when missing) a PersistentVolumeClaim of size holding the image, and a DataSource of the
// same name pointing at it, for disks to clone with datasource://namespace/name. The PVC is not controlled by
// a DataVolume, so clones of it may start at once. Objects that exist already are left alone.
func PublishImage(ctx context.Context, c client.Client, namespace, name string, size resource.Quantity) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		&corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
			},
		},
		&cdiv1.DataSource{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec: cdiv1.DataSourceSpec{Source: cdiv1.DataSourceSource{
				PVC: &cdiv1.DataVolumeSourcePVC{Namespace: namespace, Name: name},
			}},
		},
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("publish image %s/%s: create %T: %w", namespace, name, o, err)
		}
	}
	return nil
}
