package sim

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// vmiReconciler plays the scheduler, the launcher pod and virt-handler for VirtualMachineInstances: it moves
// each through Pending, Scheduling and Scheduled to Running on a node, with the interfaces and addresses the
// guest agent would report. It reads injected faults from the instance's own annotations, where the
// simulated virt-controller copies them from the VM and its Wukong.
type vmiReconciler struct {
	c            client.Client
	clock        *clock
	bootDuration time.Duration
	nodes        []string
}

func (r *vmiReconciler) setup(mgr ctrl.Manager, opts controller.Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("sim-virt-handler").
		// Own status writes are filtered out; boots are paced by RequeueAfter timers.
		For(&kubevirtv1.VirtualMachineInstance{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// A launcher pod waiting for its cloud-init Secret starts when the Secret appears.
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.instancesOfSecret)).
		// An instance whose launcher pod could not be rendered for a missing attachment gets it when the
		// attachment appears. KubeVirt's virt-controller instead retries with its workqueue's exponential
		// backoff, so a real instance may start some seconds later; the watch keeps tests fast and exact.
		Watches(&nadv1.NetworkAttachmentDefinition{}, handler.EnqueueRequestsFromMapFunc(r.instancesOfAttachment)).
		WithOptions(opts).
		Complete(r)
}

func (r *vmiReconciler) instancesOfSecret(ctx context.Context, s client.Object) []reconcile.Request {
	return requestsByIndex(ctx, r.c, &kubevirtv1.VirtualMachineInstanceList{}, s.GetNamespace(), indexNetworkDataSecret, s.GetName())
}

func (r *vmiReconciler) instancesOfAttachment(ctx context.Context, nad client.Object) []reconcile.Request {
	// An instance may select an attachment in another namespace, so the index spans namespaces.
	return requestsByIndex(ctx, r.c, &kubevirtv1.VirtualMachineInstanceList{}, "", indexAttachments,
		client.ObjectKeyFromObject(nad).String())
}

// Reconcile advances one instance towards Running, or fails it on an injected crash.
func (r *vmiReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	var vmi kubevirtv1.VirtualMachineInstance
	if err := r.c.Get(ctx, req.NamespacedName, &vmi); err != nil {
		if apierrors.IsNotFound(err) {
			r.clock.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if vmi.DeletionTimestamp != nil || isFinal(&vmi) {
		r.clock.forget(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	in := vmiInputs{
		crash:         vmi.Annotations[AnnotationCrash],
		unschedulable: vmi.Annotations[AnnotationUnschedulable],
		notMigratable: vmi.Annotations[AnnotationNotMigratable],
		probeFail:     vmi.Annotations[AnnotationProbeFail],
		node:          nodeFor(vmi.Namespace, vmi.Name, vmi.Spec.NodeSelector, r.nodes),
		step:          r.bootDuration / bootPhases,
		now:           metav1.Now(),
	}
	if vmi.Status.Phase != kubevirtv1.Running {
		nd, err := r.networkData(ctx, &vmi)
		if err != nil {
			return ctrl.Result{}, err
		}
		if nd.parseErr != nil {
			logger.Info("guest gets no secondary addresses: unreadable cloud-init network data", "error", nd.parseErr.Error())
		}
		in.missingSecret = nd.missingSecret
		in.interfaces = interfaceStatuses(vmi.Namespace, vmi.Name, &vmi.Spec, nd.config, nd.parseErr)
	}
	if vmi.Status.Phase == kubevirtv1.VmPhaseUnset || vmi.Status.Phase == kubevirtv1.Pending {
		// Only rendering the launcher pod reads the attachments: a pod that exists keeps running when one goes.
		msg, err := missingAttachment(ctx, r.c, &vmi)
		if err != nil {
			return ctrl.Result{}, err
		}
		in.missingAttachment = msg
	}
	notShared, err := sharedVolumes(ctx, r.c, &vmi)
	if err != nil {
		return ctrl.Result{}, err
	}
	in.notShared = notShared
	in.inPhase = r.clock.since(req.NamespacedName, vmiStepKey(&vmi))
	status, wait := planVMI(&vmi, in)
	if !equality.Semantic.DeepEqual(status, vmi.Status) {
		before := vmi.DeepCopy()
		vmi.Status = status
		if err := r.c.Status().Patch(ctx, &vmi, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: conflictRetry}, nil
			}
			return ctrl.Result{}, fmt.Errorf("patch VirtualMachineInstance %s status to %s: %w", vmi.Name, status.Phase, err)
		}
		logger.V(1).Info("VirtualMachineInstance step", "phase", status.Phase, "node", status.NodeName)
		r.clock.enter(req.NamespacedName, vmiStepKey(&vmi))
	}
	if vmi.Status.Phase == kubevirtv1.Running || isFinal(&vmi) {
		r.clock.forget(req.NamespacedName)
	}
	return ctrl.Result{RequeueAfter: wait}, nil
}

// networkData is an instance's cloud-init network data as the guest would see it.
type networkData struct {
	// config is the parsed data; nil when there is none.
	config *networkConfig
	// parseErr is why present data could not be read.
	parseErr error
	// missingSecret names the referenced Secret when it does not exist.
	missingSecret string
}

// networkData reads the network data of the instance's cloud-init volume: inline, base64 or from a Secret.
func (r *vmiReconciler) networkData(ctx context.Context, vmi *kubevirtv1.VirtualMachineInstance) (networkData, error) {
	var raw []byte
	for _, v := range vmi.Spec.Volumes {
		var inline, b64 string
		var ref *corev1.LocalObjectReference
		switch {
		case v.CloudInitNoCloud != nil:
			inline, b64, ref = v.CloudInitNoCloud.NetworkData, v.CloudInitNoCloud.NetworkDataBase64, v.CloudInitNoCloud.NetworkDataSecretRef
		case v.CloudInitConfigDrive != nil:
			inline, b64, ref = v.CloudInitConfigDrive.NetworkData, v.CloudInitConfigDrive.NetworkDataBase64, v.CloudInitConfigDrive.NetworkDataSecretRef
		default:
			continue
		}
		switch {
		case ref != nil:
			var s corev1.Secret
			err := r.c.Get(ctx, types.NamespacedName{Namespace: vmi.Namespace, Name: ref.Name}, &s)
			if apierrors.IsNotFound(err) {
				return networkData{missingSecret: ref.Name}, nil
			}
			if err != nil {
				return networkData{}, fmt.Errorf("get cloud-init Secret %s: %w", ref.Name, err)
			}
			// KubeVirt accepts both spellings of the key.
			raw = s.Data[NetworkDataKey]
			if raw == nil {
				raw = s.Data["networkData"]
			}
		case b64 != "":
			dec, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return networkData{parseErr: fmt.Errorf("decode networkDataBase64: %w", err)}, nil
			}
			raw = dec
		default:
			raw = []byte(inline)
		}
		break
	}
	if len(raw) == 0 {
		return networkData{}, nil
	}
	nc, err := parseNetworkData(raw)
	return networkData{config: nc, parseErr: err}, nil
}
