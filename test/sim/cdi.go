package sim

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// dataVolumeReconciler plays CDI: it moves each DataVolume through Pending and ImportInProgress to
// Succeeded, or to Failed while an import error is injected; a clone waits in CloneScheduled for its source,
// then goes through CloneInProgress to Succeeded (clone.go).
type dataVolumeReconciler struct {
	c client.Client
	// direct reads clone sources (PVCs, DataSources) from the apiserver: the simulator does not cache them.
	direct         client.Reader
	faults         faultReader
	clock          *clock
	importDuration time.Duration
	cloneDuration  time.Duration
}

func (r *dataVolumeReconciler) setup(mgr ctrl.Manager, opts controller.Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("sim-cdi-datavolume").
		// The simulator's own status writes are filtered out: progress is paced by RequeueAfter timers, and
		// reacting to each write would only double the load at scale.
		For(&cdiv1.DataVolume{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// An import error may be injected on (or removed from) the owning Wukong.
		Watches(&vmv1alpha1.Wukong{}, handler.EnqueueRequestsFromMapFunc(r.dataVolumesOfWukong),
			builder.WithPredicates(predicate.AnnotationChangedPredicate{})).
		WithOptions(opts).
		Complete(r)
}

func (r *dataVolumeReconciler) dataVolumesOfWukong(ctx context.Context, w client.Object) []reconcile.Request {
	return requestsByIndex(ctx, r.c, &cdiv1.DataVolumeList{}, w.GetNamespace(), indexOwnerWukong, w.GetName())
}

// Reconcile advances one DataVolume by at most one step and schedules the next.
func (r *dataVolumeReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var dv cdiv1.DataVolume
	if err := r.c.Get(ctx, req.NamespacedName, &dv); err != nil {
		if apierrors.IsNotFound(err) {
			r.clock.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if dv.DeletionTimestamp != nil {
		return ctrl.Result{}, nil
	}
	faults, err := r.faults.values(ctx, &dv, AnnotationImportError, AnnotationImportDuration)
	if err != nil {
		return ctrl.Result{}, err
	}
	importDuration := r.importDuration
	if d, err := time.ParseDuration(faults[AnnotationImportDuration]); err == nil && d >= 0 {
		importDuration = d
	}
	inStage := r.clock.since(req.NamespacedName, dvStepKey(&dv))
	var (
		status cdiv1.DataVolumeStatus
		wait   time.Duration
	)
	if isClone(&dv) {
		ready := true
		if dv.Status.Phase != cdiv1.CloneInProgress && dv.Status.Phase != cdiv1.Succeeded {
			var why string
			if ready, why, err = cloneSourceReady(ctx, r.direct, &dv); err != nil {
				return ctrl.Result{}, fmt.Errorf("read clone source of DataVolume %s: %w", dv.Name, err)
			}
			if !ready {
				log.FromContext(ctx).V(2).Info("clone waits for its source", "why", why)
			}
		}
		status, wait = planClone(&dv, faults[AnnotationImportError], ready, inStage, r.cloneDuration, metav1.Now())
	} else {
		status, wait = planDataVolume(&dv, faults[AnnotationImportError], inStage, importDuration, metav1.Now())
	}
	if !equality.Semantic.DeepEqual(status, dv.Status) {
		before := dv.DeepCopy()
		dv.Status = status
		// The optimistic lock turns a decision made on a stale cache into a conflict instead of a step
		// written twice or backwards.
		if err := r.c.Status().Patch(ctx, &dv, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: conflictRetry}, nil
			}
			return ctrl.Result{}, fmt.Errorf("patch DataVolume %s status to %s: %w", dv.Name, status.Phase, err)
		}
		log.FromContext(ctx).V(1).Info("DataVolume step", "phase", status.Phase, "progress", status.Progress)
		r.clock.enter(req.NamespacedName, dvStepKey(&dv))
	}
	if dv.Status.Phase == cdiv1.Succeeded {
		r.clock.forget(req.NamespacedName)
	}
	return ctrl.Result{RequeueAfter: wait}, nil
}
