// Package wukong reconciles a Wukong into its KubeVirt VirtualMachine, CDI DataVolumes, Multus
// NetworkAttachmentDefinitions and cloud-init Secret, and reports the VM's state back in the Wukong's status.
package wukong

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"k8s.io/client-go/tools/events"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/apply"
	"github.com/novasphere/wukong/internal/children"
	"github.com/novasphere/wukong/internal/metrics"
	"github.com/novasphere/wukong/internal/redact"
	"github.com/novasphere/wukong/internal/statuswrite"
)

// Reconciler reconciles Wukongs.
type Reconciler struct {
	// Client reads from the manager's cache and writes to the apiserver.
	Client client.Client
	// APIReader reads users' Secrets (password hash, SSH keys) directly, so the manager does not cache every
	// Secret of the cluster.
	APIReader client.Reader
	// Recorder emits events on the Wukong.
	Recorder events.EventRecorder
	// Workers is how many Wukongs are reconciled in parallel.
	Workers int

	// readySeen remembers Wukongs whose first Ready was observed, so the latency histogram counts each once;
	// entries go when the Wukong does.
	readySeen sync.Map
	// statusWritten remembers this process's last status write of each Wukong.
	statusWritten statuswrite.Writes
	// created holds the children this process created that its cache does not show yet.
	created createdChildren
}

// missingSecretRetry is how often a Wukong whose referenced Secret is missing looks again: users' Secrets are
// not watched (see APIReader).
const missingSecretRetry = 30 * time.Second

// Reconcile brings one Wukong's children to their desired state and records what it observes. Every exit
// computes the status and writes it from a deferred patch (Cluster API's shape) when it changed: an error
// becomes the Ready condition and a Warning event, not only a log line, and the status's observedGeneration
// moves only on success. A change of progress alone is written at most every ProgressInterval
// (statuswrite.Decide); the reconcile then comes back for it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	w := &vmv1alpha1.Wukong{}
	if err := r.Client.Get(ctx, req.NamespacedName, w); err != nil {
		if apierrors.IsNotFound(err) {
			r.readySeen.Delete(req.NamespacedName)
			r.statusWritten.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, redact.Error(client.IgnoreNotFound(err))
	}
	last := r.statusWritten.Last(w)
	if behind(w, last) {
		// The cache has not caught up with this process's own status write: the status read is stale, and
		// acting on it would write the same status again (and repeat its events). The write's watch event
		// brings the Wukong back once the cache has it.
		return ctrl.Result{}, nil
	}
	if !w.DeletionTimestamp.IsZero() {
		// Children carry controller ownerReferences; the garbage collector removes them.
		return ctrl.Result{}, nil
	}
	before := w.DeepCopy()
	obs := &observed{}
	defer func() {
		w.Status = computeStatus(w, obs, retErr)
		change := classifyStatusChange(&before.Status, &w.Status)
		since := last.At
		if since.IsZero() && before.Status.Phase == "" {
			since = w.CreationTimestamp.Time
		}
		write, retryAfter := statuswrite.Decide(change, since, time.Now(), ProgressInterval)
		if !write {
			// Held back (or unchanged): events and metrics follow what was written, so they see no change
			// either, and the next pass compares against the same status.
			w.Status = before.Status
			res.RequeueAfter = statuswrite.Sooner(res.RequeueAfter, retryAfter)
		}
		r.recordTransitions(before, w, obs)
		r.observeReadyLatency(before, w)
		if write {
			log.FromContext(ctx).V(1).Info("write status", "phase", w.Status.Phase, "significant", change.Significant)
			if err := r.patchStatus(ctx, before, w); err != nil {
				retErr = errors.Join(retErr, err)
			} else {
				r.statusWritten.Record(w, time.Now())
			}
		}
		// controller-runtime logs a returned error ("Reconciler error") and retries it with backoff; the
		// text may quote an image URL.
		retErr = redact.Error(retErr)
	}()

	if err := r.sync(ctx, w, obs); err != nil {
		return ctrl.Result{}, err
	}
	if obs.missingSecret != "" {
		return ctrl.Result{RequeueAfter: missingSecretRetry}, nil
	}
	if obs.missingCloneSource != "" {
		return ctrl.Result{RequeueAfter: missingSourceRetry}, nil
	}
	return ctrl.Result{}, nil
}

// behind reports whether w, as read from the cache, is older than the status write last: its
// resourceVersion is below the one the write produced. Unordered resourceVersions (not from etcd) are never
// behind.
func behind(w *vmv1alpha1.Wukong, last statuswrite.Write) bool {
	if last.ResourceVersion == "" {
		return false
	}
	cmp, err := resourceversion.CompareResourceVersion(w.ResourceVersion, last.ResourceVersion)
	return err == nil && cmp < 0
}

// sync creates or updates every child and records what it observed in obs. An invalid spec, a child the
// apiserver's admission refuses or a name conflict is recorded in the observation (and so in a condition),
// not returned: retrying cannot fix it. The returned error is transient and retried.
//
// The VirtualMachine is written first, the DataVolumes last: KubeVirt admits a VM whose DataVolumes do not
// exist yet (its admission looks none up, v1.7 pkg/virt-api/webhooks/validating-webhook/admitters/
// vms-admitter.go Admit), and waits for them rather than failing (pkg/virt-controller/watch/vmi/
// datavolumes.go areDataVolumesReady: a missing PVC is "waiting for it to appear", and the launcher pod is
// only created once every volume is ready). So a VM that KubeVirt refuses leaves nothing behind: no import
// started, no Secret, no attachment. The cloud-init Secret and the attachments come after the VM as well; its
// launcher pod waits for them the same way.
func (r *Reconciler) sync(ctx context.Context, w *vmv1alpha1.Wukong, obs *observed) error {
	in, missing, err := r.readInputs(ctx, w)
	if err != nil {
		return err
	}
	if missing != "" {
		obs.missingSecret = missing
		return nil
	}
	want, err := children.Build(w, in.creds, in.attachments)
	if err != nil {
		obs.invalid = err
		return nil
	}
	if msg := refusedBefore(w); msg != "" {
		// Refused at this generation already: the same children would be refused again. An edit of the spec
		// tries again.
		obs.invalid = errors.New(msg)
		return nil
	}
	missing, invalid, err := r.checkCloneSources(ctx, w)
	switch {
	case err != nil:
		return err
	case invalid != nil:
		obs.invalid = invalid
		return nil
	case missing != "":
		obs.missingCloneSource = missing
		return nil
	}
	err = r.writeChildren(ctx, w, want, obs)
	var refused *refusedError
	if errors.As(err, &refused) {
		obs.invalid = refused
		return nil
	}
	return err
}

// refusedBefore returns the Ready message of a child refused by admission at w's current generation, "" when
// there is none.
func refusedBefore(w *vmv1alpha1.Wukong) string {
	c := meta.FindStatusCondition(w.Status.Conditions, vmv1alpha1.WukongReady)
	if c == nil || c.Reason != vmv1alpha1.ReasonInvalidSpec || c.ObservedGeneration != w.Generation ||
		!strings.HasPrefix(c.Message, refusedPrefix) {
		return ""
	}
	return c.Message
}

// writeChildren writes the VM, then the Secret and the attachments, then the DataVolumes (see sync for why
// in this order), and reads the VM's instance. A refusal by admission is returned as a *refusedError. It
// stops at the first child whose name another controller holds (obs.conflict).
func (r *Reconciler) writeChildren(ctx context.Context, w *vmv1alpha1.Wukong, want *children.Objects, obs *observed) error {
	if done, err := r.applyVM(ctx, want.VM, obs); err != nil || done {
		return err
	}
	if err := r.ensureSecretAndAttachments(ctx, w, want, obs); err != nil || obs.conflict != nil {
		return err
	}
	if err := r.ensureDataVolumes(ctx, w, want.DataVolumes, obs); err != nil || obs.conflict != nil {
		return err
	}
	return r.observeInstance(ctx, want.VM, obs)
}

// applyVM writes the VM and records it in obs. done is true when nothing else is to be written now: the VM
// was deleted to be re-created (its deletion brings the Wukong back), or another controller holds its name.
func (r *Reconciler) applyVM(ctx context.Context, desired *kubevirtv1.VirtualMachine, obs *observed) (done bool, err error) {
	if healed, err := r.healVM(ctx, desired); err != nil || healed {
		return true, err
	}
	// The VM is server-side applied: what KubeVirt set on it (the firmware UUID and serial its webhook writes
	// at creation, which cloud-init takes as the instance id) stays, so an update never re-runs first boot.
	vm := &kubevirtv1.VirtualMachine{}
	if pending, err := r.created.pending(ctx, r.Client, desired, vm); err != nil {
		return true, err
	} else if pending {
		// Created moments ago by this process and not in the cache yet: an apply now would find nothing and
		// send the whole VM again (a write even when it changes nothing). Observed as just created; the VM's
		// watch event brings the Wukong back once the cache has it.
		obs.vm = desired
		obs.update.applied, obs.update.created = true, true
		return false, nil
	}
	res, err := apply.Apply(ctx, r.Client, desired, vm, vmv1alpha1.AnnotationAppliedSpec, "spec")
	var conflict *apply.ErrNotControlled
	if msg, ok := admissionRefusal(err); ok {
		return true, &refusedError{kind: apply.Kind(desired), name: desired.Name, msg: msg}
	}
	switch {
	case errors.As(err, &conflict):
		// The VM and its instance are someone else's; reporting them would pass their state off as ours, and
		// creating its disks would start imports for a VM that is not ours.
		obs.conflict = conflict
		return true, nil
	case err != nil:
		return true, err
	case res != apply.Unchanged:
		obs.wrote = append(obs.wrote, childWrite{result: res, obj: desired})
		obs.update.applied = true
		obs.update.created = res == apply.Created
		if obs.update.created {
			r.created.created(desired)
		}
	}
	if vm.UID != "" {
		obs.vm = vm
	}
	if obs.update.created {
		// Not in the cache yet; what was applied is what it holds, so the first status already names it.
		obs.vm = desired
	}
	return false, nil
}

// ensure applies one child other than the VM. ours is false when another controller holds the name
// (obs.conflict): existing then holds that object, which must not be observed as this Wukong's.
func (r *Reconciler) ensure(ctx context.Context, obs *observed, desired, existing client.Object, fields ...string) (ours bool, err error) {
	if pending, err := r.created.pending(ctx, r.Client, desired, existing); err != nil || pending {
		// Created moments ago by this process: the cache has not caught up, and its watch event brings
		// the Wukong back.
		return pending, err
	}
	res, err := apply.Ensure(ctx, r.Client, r.APIReader, desired, existing, fields...)
	var conflict *apply.ErrNotControlled
	if errors.As(err, &conflict) {
		obs.conflict = conflict
		return false, nil
	}
	if msg, ok := admissionRefusal(err); ok {
		return false, &refusedError{kind: apply.Kind(desired), name: desired.GetName(), msg: msg}
	}
	if err != nil {
		return false, err
	}
	if res == apply.Created {
		r.created.created(desired)
	}
	if res != apply.Unchanged {
		obs.wrote = append(obs.wrote, childWrite{result: res, obj: desired})
	}
	return true, nil
}

// ensureSecretAndAttachments writes the cloud-init Secret and the attachments w owns or shares with its set,
// then records which attachments w only refers to are missing.
func (r *Reconciler) ensureSecretAndAttachments(ctx context.Context, w *vmv1alpha1.Wukong, want *children.Objects, obs *observed) error {
	if _, err := r.ensure(ctx, obs, want.Secret, &corev1.Secret{}, "data", "type"); err != nil || obs.conflict != nil {
		return err
	}
	for _, nad := range want.Attachments {
		if _, err := r.ensure(ctx, obs, nad, &nadv1.NetworkAttachmentDefinition{}, "spec"); err != nil || obs.conflict != nil {
			return err
		}
	}
	return r.observeAttachments(ctx, w, obs)
}

// ensureDataVolumes creates the DataVolumes, reattaching those w's set retained for it, and records each
// with what the cluster holds for it.
func (r *Reconciler) ensureDataVolumes(ctx context.Context, w *vmv1alpha1.Wukong, dataVolumes []*cdiv1.DataVolume, obs *observed) error {
	for _, dv := range dataVolumes {
		// A DataVolume's source and size are never rewritten: CDI does not re-import, and replacing the
		// volume would destroy the disk's data. A difference is reported in DisksUpToDate instead.
		reattached, err := r.reattachRetained(ctx, w, dv)
		if err != nil {
			return err
		}
		if reattached != nil {
			// The cache may not show the new owner yet; the next reconcile compares as usual.
			obs.dataVolumes = append(obs.dataVolumes, dataVolumeObservation{desired: dv, actual: reattached})
			continue
		}
		existing := &cdiv1.DataVolume{}
		ours, err := r.ensure(ctx, obs, dv, existing)
		if err != nil || obs.conflict != nil {
			return err
		}
		if !ours || existing.UID == "" {
			existing = nil
		}
		obs.dataVolumes = append(obs.dataVolumes, dataVolumeObservation{desired: dv, actual: existing})
	}
	return nil
}

// observeInstance reads the VM's instance into obs and, once KubeVirt has seen the VM's spec, carries the
// VM's labels over to the instance and restarts it when the spec needs a restart.
func (r *Reconciler) observeInstance(ctx context.Context, desired *kubevirtv1.VirtualMachine, obs *observed) error {
	vmi := &kubevirtv1.VirtualMachineInstance{}
	switch err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), vmi); {
	case err == nil:
		obs.vmi = vmi
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("get VirtualMachineInstance %s: %w", desired.Name, err)
	}
	if obs.vm == nil || obs.update.applied {
		// KubeVirt has not seen this spec yet; its answer (live update or RestartRequired) brings us back.
		return nil
	}
	if err := r.syncInstanceLabels(ctx, obs.vm, obs.vmi); err != nil {
		return err
	}
	if needsRestart(obs.vm, obs.vmi) {
		if err := r.restart(ctx, obs.vm.DeepCopy(), obs.vmi); err != nil {
			return err
		}
		obs.update.restarted = true
	}
	return nil
}

// observeReadyLatency records, once per Wukong and manager process, the time from creation to the first
// Ready. A VM that restarts later is not counted again; after a manager restart, a Wukong that becomes
// Ready for the first time since is (its latency then still runs from its creation).
func (r *Reconciler) observeReadyLatency(before, after *vmv1alpha1.Wukong) {
	if meta.IsStatusConditionTrue(before.Status.Conditions, vmv1alpha1.WukongReady) ||
		!meta.IsStatusConditionTrue(after.Status.Conditions, vmv1alpha1.WukongReady) {
		return
	}
	if _, seen := r.readySeen.LoadOrStore(client.ObjectKeyFromObject(after), after.UID); seen {
		return
	}
	metrics.ReadyLatency.WithLabelValues(after.Namespace, after.Labels[vmv1alpha1.LabelSet]).
		Observe(time.Since(after.CreationTimestamp.Time).Seconds())
}

// observeAttachments records which referenced (not owned) attachments are missing.
func (r *Reconciler) observeAttachments(ctx context.Context, w *vmv1alpha1.Wukong, obs *observed) error {
	for _, n := range w.Spec.Networks {
		if n.NADName == "" {
			continue
		}
		key := attachmentKey(w.Namespace, n.NADName)
		err := r.Client.Get(ctx, key, &nadv1.NetworkAttachmentDefinition{})
		if apierrors.IsNotFound(err) {
			obs.missingAttachments = append(obs.missingAttachments, key.String())
			continue
		}
		if err != nil {
			return fmt.Errorf("get NetworkAttachmentDefinition %s: %w", key, err)
		}
	}
	return nil
}

func (r *Reconciler) patchStatus(ctx context.Context, before, w *vmv1alpha1.Wukong) error {
	if equality.Semantic.DeepEqual(before.Status, w.Status) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, w, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("patch status of Wukong %s: %w", w.Name, err)
	}
	return nil
}

// SetupWithManager registers the controller: it watches Wukongs, the children they own and the VM
// instances behind their VMs, so status follows the children without polling.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	workers := r.Workers
	if workers < 1 {
		workers = 1
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &vmv1alpha1.Wukong{}, attachmentRefIndex, attachmentRefs); err != nil {
		return fmt.Errorf("index Wukongs by referenced attachment: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&vmv1alpha1.Wukong{}, builder.WithPredicates()).
		Owns(&kubevirtv1.VirtualMachine{}).
		Owns(&cdiv1.DataVolume{}).
		Owns(&nadv1.NetworkAttachmentDefinition{}).
		Owns(&corev1.Secret{}).
		// A referenced attachment (nadName) is not owned, so Owns does not see it appear or go; without this
		// a Wukong waiting for one would report AttachmentNotFound until something else changed.
		Watches(&nadv1.NetworkAttachmentDefinition{}, handler.EnqueueRequestsFromMapFunc(r.wukongsReferencing)).
		// A VMI is owned by its VM, not by the Wukong; it carries the Wukong label.
		Watches(&kubevirtv1.VirtualMachineInstance{}, handler.EnqueueRequestsFromMapFunc(byWukongLabel)).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers, NewQueue: r.newQueue}).
		Named("wukong").
		Complete(r)
}

// attachmentRefIndex indexes Wukongs by the attachments their networks reference, as "namespace/name".
const attachmentRefIndex = "spec.networks.nadName"

func attachmentRefs(obj client.Object) []string {
	w, ok := obj.(*vmv1alpha1.Wukong)
	if !ok {
		return nil
	}
	var keys []string
	for _, n := range w.Spec.Networks {
		if n.NADName != "" {
			keys = append(keys, attachmentKey(w.Namespace, n.NADName).String())
		}
	}
	return keys
}

// wukongsReferencing maps an attachment to the Wukongs that reference it by nadName, in any namespace.
func (r *Reconciler) wukongsReferencing(ctx context.Context, nad client.Object) []reconcile.Request {
	var list vmv1alpha1.WukongList
	key := types.NamespacedName{Namespace: nad.GetNamespace(), Name: nad.GetName()}.String()
	if err := r.Client.List(ctx, &list, client.MatchingFields{attachmentRefIndex: key}); err != nil {
		log.FromContext(ctx).Error(err, "list Wukongs referencing NetworkAttachmentDefinition", "attachment", key)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

func byWukongLabel(_ context.Context, obj client.Object) []reconcile.Request {
	name, ok := obj.GetLabels()[vmv1alpha1.LabelWukong]
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}}}
}
