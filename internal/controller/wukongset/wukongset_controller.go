// Package wukongset reconciles a WukongSet into its members: Wukongs named <set>-<index>, rendered from the
// set's template with per-index variables, validated before any is created, created in slow-start batches
// with bounded concurrency, and summarised in the set's status.
package wukongset

import (
	"context"
	"errors"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/metrics"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/owner"
	"github.com/novasphere/wukong/internal/redact"
	"github.com/novasphere/wukong/internal/statuswrite"
)

// ownerIndex indexes Wukongs by the UID of the WukongSet that controls them.
const ownerIndex = ".metadata.controller.wukongset"

// Reconciler reconciles WukongSets.
type Reconciler struct {
	// Client reads from the manager's cache and writes to the apiserver.
	Client client.Client
	// Recorder emits events on the set.
	Recorder events.EventRecorder
	// Renderer renders members from the template.
	Renderer *setmember.Renderer
	// Workers is how many sets are reconciled in parallel.
	Workers int
	// MaxConcurrentCreates bounds one set's parallel creates unless the set's scaleStrategy says otherwise.
	MaxConcurrentCreates int

	expect    expectations
	validated validations
	now       func() time.Time
	// statusWritten holds each set's last status write by this process.
	statusWritten statuswrite.Writes
	// statusDelays holds how long each set gathers its members' status moves before a pass.
	statusDelays statusDelays
}

// Reconcile moves one set towards its spec: adopt and release members, plan the scale, validate and create
// missing members, delete surplus ones. Every exit writes the status once, from a deferred patch (Cluster
// API's shape): an error before the plan (listing or claiming members, storing revisions) becomes
// ReplicaFailure with the redacted message and a Warning event, not only a log line, and observedGeneration
// moves only when the pass succeeds.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	set, err := r.liveSet(ctx, req)
	if set == nil {
		return ctrl.Result{}, err
	}
	before := set.DeepCopy()
	p := &pass{written: before}
	defer func() {
		if retErr != nil {
			if !p.planned && !apierrors.IsConflict(retErr) {
				setReconcileError(set, retErr)
			}
			set.Status.ObservedGeneration = before.Status.ObservedGeneration
		}
		now := r.clock()
		write, retryAfter := statuswrite.Decide(classifyStatusChange(&p.written.Status, &set.Status), r.statusWritten.Last(set).At, now, statusInterval)
		if !write {
			// Unchanged, or counts on their way written less than statusInterval ago: the pass comes back
			// for them. Events follow what is written.
			set.Status = p.written.Status
			if retErr == nil {
				res.RequeueAfter = statuswrite.Sooner(res.RequeueAfter, retryAfter)
			}
		}
		r.recordFailure(before, set)
		r.recordQuota(before, set)
		if write {
			if err := r.Client.Status().Patch(ctx, set, client.MergeFrom(p.written)); err != nil {
				retErr = errors.Join(retErr, fmt.Errorf("patch status of WukongSet %s: %w", set.Name, err))
			} else {
				r.statusWritten.Record(set, now)
			}
		}
		// controller-runtime logs a returned error ("Reconciler error") and retries it with backoff; the
		// text may quote an image URL.
		retErr = redact.Error(retErr)
	}()
	return r.sync(ctx, set, p)
}

// pass is what the deferred status patch of Reconcile needs to know about the pass so far.
type pass struct {
	// written is the set as this pass last wrote its status: as read, or a progress write between batches.
	written *vmv1alpha1.WukongSet
	// planned is true once the status holds this pass's outcome; an error before that is reported as
	// ReconcileError.
	planned bool
}

// liveSet reads the set a request names. It returns nil when there is nothing to reconcile: the set is gone
// (what this process keeps about it is forgotten) or being deleted, when the garbage collector removes its
// members, which carry controller ownerReferences (or orphans them).
func (r *Reconciler) liveSet(ctx context.Context, req ctrl.Request) (*vmv1alpha1.WukongSet, error) {
	set := &vmv1alpha1.WukongSet{}
	if err := r.Client.Get(ctx, req.NamespacedName, set); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetSet(req.Namespace, req.Name)
			r.validated.forget(req.NamespacedName)
			r.statusWritten.Forget(req.NamespacedName)
			r.statusDelays.forget(req.NamespacedName)
		}
		return nil, redact.Error(client.IgnoreNotFound(err))
	}
	if !set.DeletionTimestamp.IsZero() {
		r.expect.forget(set.UID)
		r.validated.forget(req.NamespacedName)
		return nil, nil
	}
	return set, nil
}

// sync is one pass over a live set: read, plan, execute, then derive the status into set.Status. The
// planner decides everything from the members as observed; only the executor writes.
func (r *Reconciler) sync(ctx context.Context, set *vmv1alpha1.WukongSet, p *pass) (ctrl.Result, error) {
	if changed, err := r.rollback(ctx, set); changed || err != nil {
		return ctrl.Result{}, err
	}
	// 1. Read: the selector, the members it claims and the revisions they and the template are at.
	sel, err := setmember.Selector(set)
	if err != nil {
		// The CRD's rules make this unreachable for stored objects; report it rather than loop.
		setReconcileError(set, fmt.Errorf("selector: %w", err))
		return ctrl.Result{}, nil
	}
	members, taken, err := r.claimMembers(ctx, set, sel)
	if err != nil {
		return ctrl.Result{}, err
	}
	r.statusDelays.observe(client.ObjectKeyFromObject(set), len(members))
	revs, err := r.syncRevisions(ctx, set, revisionsInUse(members))
	if err != nil {
		return ctrl.Result{}, err
	}
	now := r.clock()

	// 2. Plan.
	obs := r.observe(set, members, revs)
	plan := planStep(stepInput{
		Scale:           r.scaleInput(set, members, taken),
		Rollout:         r.rolloutInput(set, members, obs, revs.update, now),
		CurrentRevision: set.Status.CurrentRevision,
		CurrentStored:   revs.has(set.Status.CurrentRevision),
	})

	// 3. Execute. Golden volumes (imagePolicy ImportOnce) first: the members this pass creates clone them.
	if err := r.syncGoldens(ctx, set, members, plan, revs); err != nil {
		return ctrl.Result{}, err
	}
	progress := r.progressWriter(ctx, set, p, statusInput{
		Members: members, Selector: sel.String(), UpdateRevision: revs.update, Pending: plan.Pending, Rollout: plan.Rollout,
		Autohealing: set.Spec.Autohealing != nil,
	})
	out := r.executeStep(ctx, set, plan, revs, obs, progress)
	healed, healErr := r.heal(ctx, set, members, now)
	if healErr != nil && out.err == nil {
		out.err = healErr
	}

	// 4. Status. Members created on this pass count: the cache does not show them yet, and a progress write
	// already did.
	members = withCreated(members, out.created)
	status, recheck := computeStatus(set, statusInput{
		Members:        members,
		Selector:       sel.String(),
		UpdateRevision: revs.update,
		FailureReason:  out.failureReason,
		FailureMessage: out.failureMessage,
		Pending:        plan.Pending,
		Rollout:        plan.Rollout,
		QuotaBlocked:   out.quotaBlocked,
		QuotaMessage:   out.quotaMessage,
		Healing:        healed.Healing,
		Autohealing:    set.Spec.Autohealing != nil,
		Now:            now,
	})
	set.Status = status
	p.planned = true
	recordMetrics(set, members, plan.Rollout, out.quotaBlocked)
	if out.err != nil {
		// A transient failure: controller-runtime retries with exponential backoff.
		return ctrl.Result{}, out.err
	}
	return ctrl.Result{RequeueAfter: statuswrite.Sooner(recheck, healed.Recheck)}, nil
}

// revisionsInUse is the set of revisions members run, which syncRevisions keeps.
func revisionsInUse(members []*vmv1alpha1.Wukong) map[string]bool {
	inUse := map[string]bool{}
	for _, m := range members {
		inUse[m.Labels[vmv1alpha1.LabelRevision]] = true
	}
	return inUse
}

// progressWriter is told between batches of creates what the pass has created so far. A large creation
// takes many batches: between them the status says how far it got, at most every statusInterval, so a
// 10,000-member set does not look frozen while a small one costs no extra write. base is the status input
// as planned, before anything was created.
func (r *Reconciler) progressWriter(ctx context.Context, set *vmv1alpha1.WukongSet, p *pass, base statusInput) progressFunc {
	return func(created []*vmv1alpha1.Wukong) {
		at := r.clock()
		if last := r.statusWritten.Last(set).At; !last.IsZero() && at.Sub(last) < statusInterval {
			return
		}
		in := base
		in.Members, in.Pending, in.Now = withCreated(base.Members, created), max(base.Pending-len(created), 0), at
		if w, err := r.writeProgress(ctx, set, p.written, in); err == nil {
			if w != p.written {
				r.statusWritten.Record(set, at)
			}
			p.written = w
		}
	}
}

// setReconcileError reports a failure that stopped the pass before it could plan: ReplicaFailure True with
// reason ReconcileError and the redacted message. The rest of the status stays as the last pass left it.
func setReconcileError(set *vmv1alpha1.WukongSet, err error) {
	meta.SetStatusCondition(&set.Status.Conditions, metav1.Condition{
		Type: vmv1alpha1.SetReplicaFailure, Status: metav1.ConditionTrue, Reason: ReasonReconcileError,
		Message: redact.String(err.Error()), ObservedGeneration: set.Generation,
	})
}

// rolloutInput turns members into the rollout planner's view.
func (r *Reconciler) rolloutInput(set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong, obs *observation, update string, now time.Time) rolloutInput {
	surge, unavailable := setmember.Budget(set)
	in := rolloutInput{
		Replicas: setmember.Replicas(set), UpdateRevision: update, Strategy: vmv1alpha1.RollingUpdateStrategy,
		MaxSurge: surge, MaxUnavailable: unavailable, Partition: setmember.Partition(set), Paused: set.Spec.Paused,
	}
	if us := set.Spec.UpdateStrategy; us != nil && us.Type != "" {
		in.Strategy = us.Type
	}
	for _, m := range members {
		index, _ := naming.MemberIndex(set.Name, m.Name)
		_, held := m.Annotations[vmv1alpha1.AnnotationStopForUpdate]
		in.Members = append(in.Members, rolloutMember{
			Name: m.Name, Index: index, Revision: m.Labels[vmv1alpha1.LabelRevision],
			Available: available(m, set.Spec.MinReadySeconds, now),
			UpToDate:  upToDate(m),
			Deleting:  !m.DeletionTimestamp.IsZero() || r.expect.deleted(set.UID, m.Name),
			Surge:     m.Labels[vmv1alpha1.LabelSurge] == "true",
			Update:    obs.kinds[m.Name],
			Held:      held,
			Stopped:   m.Status.Phase == vmv1alpha1.WukongStopped,
		})
	}
	return in
}

// upToDate is the one place that decides whether a member runs its current spec: its controller observed
// the spec's generation and reports the VM up to date.
func upToDate(m *vmv1alpha1.Wukong) bool {
	return m.Status.ObservedGeneration == m.Generation && meta.IsStatusConditionTrue(m.Status.Conditions, vmv1alpha1.WukongUpToDate)
}

// available is the one place that decides whether a member counts as available: Ready for at least
// minReadySeconds.
func available(m *vmv1alpha1.Wukong, minReadySeconds int32, now time.Time) bool {
	c := meta.FindStatusCondition(m.Status.Conditions, vmv1alpha1.WukongReady)
	return c != nil && c.Status == metav1.ConditionTrue && now.Sub(c.LastTransitionTime.Time) >= time.Duration(minReadySeconds)*time.Second
}

func (r *Reconciler) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// scaleInput turns members (surge ones included) into the planner's view, counting members created or deleted by earlier passes
// that the cache does not show yet (expectations), so a stale cache never causes duplicates or extra deletes.
func (r *Reconciler) scaleInput(set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong, taken map[int]bool) scaleInput {
	in := scaleInput{Replicas: setmember.Replicas(set), Taken: taken, Policy: vmv1alpha1.ScaleDownHighestIndex}
	if s := set.Spec.ScaleStrategy; s != nil {
		if s.ScaleDownPolicy != "" {
			in.Policy = s.ScaleDownPolicy
		}
		in.MembersToDelete = s.MembersToDelete
		in.DeleteListHash = setmember.DeleteListHash(set)
	}
	seen := map[string]bool{}
	for _, m := range members {
		index, _ := naming.MemberIndex(set.Name, m.Name)
		ready := meta.IsStatusConditionTrue(m.Status.Conditions, vmv1alpha1.WukongReady)
		// A surge member belongs to the rollout: to the scale planner it only holds its index, like a
		// member going away, so the set never creates a regular member over it.
		deleting := !m.DeletionTimestamp.IsZero() || r.expect.deleted(set.UID, m.Name) || m.Labels[vmv1alpha1.LabelSurge] == "true"
		in.Members = append(in.Members, member{Name: m.Name, Index: index, Ready: ready, Deleting: deleting,
			DeleteList: m.Annotations[vmv1alpha1.AnnotationDeleteList]})
		seen[m.Name] = true
	}
	r.expect.pruneDeletes(set.UID, seen)
	for _, name := range r.expect.pendingCreates(set.UID, seen) {
		if index, ok := naming.MemberIndex(set.Name, name); ok {
			in.Members = append(in.Members, member{Name: name, Index: index})
		}
	}
	return in
}

// claimMembers returns the set's members: Wukongs it controls whose labels still match, plus orphans named
// <set>-<index> that match (adopted). Controlled Wukongs that stopped matching are released. taken lists
// indices whose name is held by a Wukong the set does not control.
//
// The members are shallow copies of the cache's objects (UnsafeDisableDeepCopy): a pass of a 10,000-member set
// would otherwise deep-copy every member twice. They share maps and slices with the cache and are read-only;
// whatever writes a member works on its DeepCopy (adopt and release here, updatedMember, the deletes).
func (r *Reconciler) claimMembers(ctx context.Context, set *vmv1alpha1.WukongSet, sel labels.Selector) ([]*vmv1alpha1.Wukong, map[int]bool, error) {
	var owned vmv1alpha1.WukongList
	if err := r.Client.List(ctx, &owned, client.InNamespace(set.Namespace), client.MatchingFields{ownerIndex: string(set.UID)},
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, fmt.Errorf("list members of WukongSet %s: %w", set.Name, err)
	}
	var matching vmv1alpha1.WukongList
	if err := r.Client.List(ctx, &matching, client.InNamespace(set.Namespace), client.MatchingLabelsSelector{Selector: sel},
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, fmt.Errorf("list Wukongs matching WukongSet %s: %w", set.Name, err)
	}
	var members, adopted, released []*vmv1alpha1.Wukong
	// One event per pass for the members adopted or released, not one per member.
	defer func() {
		if len(adopted) > 0 {
			r.event(set, "Normal", vmv1alpha1.ReasonMemberAdopted, "Adopt", "adopted orphan Wukongs %s", memberRanges(set, adopted))
		}
		if len(released) > 0 {
			r.event(set, "Normal", vmv1alpha1.ReasonMemberReleased, "Release", "released members %s: their labels no longer match the selector",
				memberRanges(set, released))
		}
	}()
	for i := range owned.Items {
		m := &owned.Items[i]
		if _, ok := naming.MemberIndex(set.Name, m.Name); ok && sel.Matches(labels.Set(m.Labels)) {
			members = append(members, m)
			continue
		}
		m = m.DeepCopy()
		if err := r.release(ctx, set, m); err != nil {
			return nil, nil, err
		}
		released = append(released, m)
	}
	taken := map[int]bool{}
	for i := range matching.Items {
		m := &matching.Items[i]
		ref := metav1.GetControllerOf(m)
		if ref != nil && ref.UID == set.UID {
			continue
		}
		index, ok := naming.MemberIndex(set.Name, m.Name)
		if !ok {
			continue
		}
		if ref != nil || !m.DeletionTimestamp.IsZero() {
			taken[index] = true
			continue
		}
		m = m.DeepCopy()
		if err := r.adopt(ctx, set, m); err != nil {
			return nil, nil, err
		}
		adopted = append(adopted, m)
		members = append(members, m)
	}
	return members, taken, nil
}

// adopt makes the set the controller of an orphan that matches its selector and naming.
func (r *Reconciler) adopt(ctx context.Context, set *vmv1alpha1.WukongSet, m *vmv1alpha1.Wukong) error {
	orig := m.DeepCopy()
	m.OwnerReferences = append(m.OwnerReferences, owner.SetReference(set))
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	m.Labels[vmv1alpha1.LabelSet] = set.Name
	index, _ := naming.MemberIndex(set.Name, m.Name)
	m.Labels[vmv1alpha1.LabelIndex] = strconv.Itoa(index)
	// An optimistic lock: adopt only the object we looked at.
	if err := r.Client.Patch(ctx, m, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("adopt Wukong %s: %w", m.Name, err)
	}
	return nil
}

// release drops the set's controller reference from a Wukong that no longer matches the selector; the set
// then treats its index as taken and reports it.
func (r *Reconciler) release(ctx context.Context, set *vmv1alpha1.WukongSet, m *vmv1alpha1.Wukong) error {
	orig := m.DeepCopy()
	m.OwnerReferences = owner.Without(m.OwnerReferences, set.UID)
	if err := r.Client.Patch(ctx, m, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("release Wukong %s: %w", m.Name, err)
	}
	return nil
}

// event records an event on the set, its note cut to what the events API accepts (capNote).
func (r *Reconciler) event(set *vmv1alpha1.WukongSet, eventType, reason, action, format string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(set, nil, eventType, reason, action, "%s", capNote(fmt.Sprintf(format, args...)))
	}
}

// recordQuota emits a Warning when members start waiting for quota, or the shortage changes.
func (r *Reconciler) recordQuota(before, after *vmv1alpha1.WukongSet) {
	now := meta.FindStatusCondition(after.Status.Conditions, vmv1alpha1.SetQuotaExceeded)
	if now == nil || now.Status != metav1.ConditionTrue {
		return
	}
	old := meta.FindStatusCondition(before.Status.Conditions, vmv1alpha1.SetQuotaExceeded)
	if old != nil && old.Status == now.Status && old.Message == now.Message {
		return
	}
	r.event(after, "Warning", now.Reason, "Create", "%s", now.Message)
}

// recordMetrics publishes the set's figures on the manager's metrics endpoint.
func recordMetrics(set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong, rplan rolloutPlan, quotaBlocked int) {
	ns, name := set.Namespace, set.Name
	st := set.Status
	metrics.ReplicasDesired.WithLabelValues(ns, name).Set(float64(setmember.Replicas(set)))
	metrics.ReplicasCurrent.WithLabelValues(ns, name).Set(float64(st.Replicas))
	metrics.ReplicasReady.WithLabelValues(ns, name).Set(float64(st.ReadyReplicas))
	metrics.ReplicasAvailable.WithLabelValues(ns, name).Set(float64(st.AvailableReplicas))
	metrics.ReplicasUpdated.WithLabelValues(ns, name).Set(float64(st.UpdatedReplicas))
	metrics.QuotaBlocked.WithLabelValues(ns, name).Set(float64(quotaBlocked))
	metrics.RolloutInProgress.WithLabelValues(ns, name).Set(boolGauge(!rplan.Done && !set.Spec.Paused))
	metrics.ProgressDeadlineExceeded.WithLabelValues(ns, name).Set(boolGauge(
		meta.IsStatusConditionFalse(st.Conditions, vmv1alpha1.SetProgressing)))
	phases := map[vmv1alpha1.WukongPhase]int{}
	for _, p := range []vmv1alpha1.WukongPhase{vmv1alpha1.WukongPending, vmv1alpha1.WukongProvisioning, vmv1alpha1.WukongStarting,
		vmv1alpha1.WukongRunning, vmv1alpha1.WukongStopped, vmv1alpha1.WukongFailed} {
		phases[p] = 0
	}
	for _, m := range members {
		if m.DeletionTimestamp.IsZero() {
			phase := m.Status.Phase
			if phase == "" {
				phase = vmv1alpha1.WukongPending
			}
			phases[phase]++
		}
	}
	for p, n := range phases {
		metrics.MembersByPhase.WithLabelValues(ns, name, string(p)).Set(float64(n))
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// recordFailure emits a Warning when the ReplicaFailure condition appears or changes, not on every pass.
func (r *Reconciler) recordFailure(before, after *vmv1alpha1.WukongSet) {
	now := meta.FindStatusCondition(after.Status.Conditions, vmv1alpha1.SetReplicaFailure)
	if now == nil || now.Status != metav1.ConditionTrue {
		return
	}
	old := meta.FindStatusCondition(before.Status.Conditions, vmv1alpha1.SetReplicaFailure)
	if old != nil && old.Status == now.Status && old.Message == now.Message {
		return
	}
	r.event(after, "Warning", now.Reason, "Reconcile", "%s", now.Message)
}

// setsInNamespace maps a ResourceQuota to every set in its namespace.
func (r *Reconciler) setsInNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	var sets vmv1alpha1.WukongSetList
	if err := r.Client.List(ctx, &sets, client.InNamespace(obj.GetNamespace())); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(sets.Items))
	for _, s := range sets.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}

// SetupWithManager registers the controller and the owner index it lists members by.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &vmv1alpha1.Wukong{}, ownerIndex, func(obj client.Object) []string {
		ref := metav1.GetControllerOf(obj)
		if ref == nil || ref.Kind != "WukongSet" || ref.APIVersion != vmv1alpha1.GroupVersion.String() {
			return nil
		}
		return []string{string(ref.UID)}
	}); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &cdiv1.DataVolume{}, cloneSourceIndex, runningCloneSource); err != nil {
		return err
	}
	workers := r.Workers
	if workers < 1 {
		workers = 1
	}
	return ctrl.NewControllerManagedBy(mgr).
		// Not the set's own status writes: a pass writes the status at most every statusInterval while counts
		// move, and coming back for each of those writes would pass a large set every 2 s for nothing.
		For(&vmv1alpha1.WukongSet{}, builder.WithPredicates(predicate.Funcs{
			UpdateFunc: func(e event.UpdateEvent) bool { return !statusOnly(e.ObjectOld, e.ObjectNew) },
		})).
		// A member's status moves are gathered for a delay that grows with the set into one pass of it.
		Watches(&vmv1alpha1.Wukong{}, memberEvents{delays: &r.statusDelays,
			owner: handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &vmv1alpha1.WukongSet{}, handler.OnlyControllerOwner())}).
		Owns(&appsv1.ControllerRevision{}).
		// Golden volumes: one deleted by hand is imported again; one whose import ends may be collected.
		Owns(&cdiv1.DataVolume{}).
		// A quota that grows (or frees up) lets waiting members be created without any edit to the set.
		Watches(&corev1.ResourceQuota{}, handler.EnqueueRequestsFromMapFunc(r.setsInNamespace)).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: workers,
			// Failed creates retry with backoff capped at 30 s, so a set recovers soon after its cause (a
			// policy, a quota) goes away, without hammering the apiserver meanwhile.
			RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](200*time.Millisecond, 30*time.Second),
		}).
		Named("wukongset").
		Complete(r)
}
