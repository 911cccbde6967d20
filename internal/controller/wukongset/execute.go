package wukongset

import (
	"context"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"runtime"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/metrics"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/setcheck/membercheck"
)

// outcome is what executing a plan did.
type outcome struct {
	// failureReason and failureMessage feed the ReplicaFailure condition.
	failureReason, failureMessage string
	// err is a transient failure to retry with backoff; an invalid template is not one.
	err error
	// quotaBlocked counts members not created because a ResourceQuota has no room; quotaMessage says which.
	quotaBlocked int
	quotaMessage string
	// created are the members created, for the status: the cache does not show them yet.
	created []*vmv1alpha1.Wukong
}

// progressFunc is told, between slow-start batches of creates, every member the pass has created so far.
type progressFunc func(created []*vmv1alpha1.Wukong)

// newMember is a member to create: its index, the revision and template it is rendered from, and whether it
// is a temporary surge member.
type newMember struct {
	index    int
	revision string
	template vmv1alpha1.WukongTemplateSpec
	surge    bool
}

// executeStep carries out a step: deletes, then stops and in-place updates, then validated creates, each
// bounded in concurrency. A template that cannot be rendered for some member stops updates and creates.
// progress is told what has been created between batches.
func (r *Reconciler) executeStep(ctx context.Context, set *vmv1alpha1.WukongSet, plan stepPlan, revs *revisions, obs *observation, progress progressFunc) outcome {
	workers := setmember.MaxConcurrentCreates(set, r.MaxConcurrentCreates)
	if len(plan.Delete) > 0 {
		if plan.Pass == passScale && diskRetention(set) == vmv1alpha1.DiskRetentionRetain {
			if err := r.retainDisks(ctx, set, obs.pick(plan.Delete)); err != nil {
				return outcome{failureReason: vmv1alpha1.ReasonDeleteFailed, failureMessage: err.Error(), err: err}
			}
		}
		if out := r.deleteMembers(ctx, set, plan.Delete, obs, workers); out.err != nil {
			return out
		}
	}
	if len(plan.Hold)+len(plan.Update) > 0 && obs.renderErr != nil {
		metrics.TemplateInvalid.WithLabelValues(set.Namespace, set.Name).Inc()
		return outcome{failureReason: vmv1alpha1.ReasonInvalidTemplate, failureMessage: obs.renderErr.Error()}
	}
	if len(plan.Hold) > 0 {
		if out := r.holdMembers(ctx, set, plan.Hold, obs, workers); out.err != nil || out.failureReason != "" {
			return out
		}
	}
	if len(plan.Update) > 0 {
		if out := r.updateMembers(ctx, set, plan.Update, obs, workers); out.err != nil || out.failureReason != "" {
			return out
		}
	}
	if len(plan.Create) == 0 {
		return outcome{}
	}
	creates := make([]newMember, 0, len(plan.Create))
	for _, c := range plan.Create {
		creates = append(creates, newMember{index: c.Index, revision: c.Revision, template: revs.templates[c.Revision], surge: c.Surge})
	}
	toCreate, out := r.renderAndValidate(ctx, set, creates, workers, progress)
	if out.failureReason != "" || out.err != nil || len(toCreate) == 0 {
		return out
	}
	created := r.createMembers(ctx, set, toCreate, workers, progress)
	created.quotaBlocked, created.quotaMessage = out.quotaBlocked, out.quotaMessage
	return created
}

// renderAndValidate validates the current template at every index of [0, replicas) offline (checkTemplate),
// so an expression that fails only at some index is caught before anything is created, renders the members to
// create from their own revisions (checking offline those the first step did not cover: surge members and
// members of another revision), holds back what a ResourceQuota has no room for, and dry-runs one member per
// shape not yet accepted (shapeKey) for admission webhooks and policies. An invalid member stops the whole
// batch: nothing is created from a template that is invalid at any index.
func (r *Reconciler) renderAndValidate(ctx context.Context, set *vmv1alpha1.WukongSet, creates []newMember, workers int, progress progressFunc) ([]*vmv1alpha1.Wukong, outcome) {
	update := setmember.Revision(set)
	invalid := func(msg string) ([]*vmv1alpha1.Wukong, outcome) {
		metrics.TemplateInvalid.WithLabelValues(set.Namespace, set.Name).Inc()
		return nil, outcome{failureReason: vmv1alpha1.ReasonInvalidTemplate, failureMessage: msg}
	}
	if problem, err := r.checkTemplate(ctx, set, update); err != nil {
		return nil, outcome{err: err}
	} else if problem != "" {
		return invalid(problem)
	}
	var toCreate, surge []*vmv1alpha1.Wukong
	var others []membercheck.Member
	shapes := make(map[string]string, len(creates))
	for _, c := range creates {
		m, err := r.Renderer.Member(set, c.template, c.index, c.revision, c.surge)
		if err != nil {
			return invalid(err.Error())
		}
		if shapes[m.Name], err = shapeKey(c.template, m); err != nil {
			return nil, outcome{err: fmt.Errorf("shape of member %s: %w", m.Name, err)}
		}
		if c.surge || c.revision != update || c.index >= setmember.Replicas(set) {
			others = append(others, membercheck.Member{Index: c.index, Object: m})
		}
		if c.surge {
			surge = append(surge, m)
		} else {
			toCreate = append(toCreate, m)
		}
	}
	if msg := problems(membercheck.Check(ctx, others, runtime.GOMAXPROCS(0))); msg != "" {
		return invalid(msg)
	}
	// Rollout surge members are not held back: updates are never blocked by the quota pre-check.
	toCreate, quota := r.holdForQuota(ctx, set, toCreate)
	if quota.err != nil {
		return nil, quota
	}
	toCreate = append(toCreate, surge...)
	if len(toCreate) == 0 {
		return nil, quota
	}
	errs, refused := r.dryRunShapes(ctx, set, toCreate, shapes, workers)
	if len(errs) == 0 {
		return toCreate, quota
	}
	msgs, templateFault := describe(errs)
	if templateFault {
		return invalid(msgs)
	}
	// A shape refused for another reason (an admission policy, quota) does not stop the members before it:
	// they are created in index order up to the first member of a refused shape, which is retried with backoff.
	var fit []*vmv1alpha1.Wukong
	for _, m := range toCreate {
		if refused[shapes[m.Name]] {
			break
		}
		fit = append(fit, m)
	}
	out := outcome{failureReason: vmv1alpha1.ReasonCreateFailed, failureMessage: msgs,
		err: fmt.Errorf("validate members of WukongSet %s: %s", set.Name, msgs)}
	if len(fit) > 0 {
		created := r.createMembers(ctx, set, fit, workers, progress)
		if created.err != nil {
			return nil, created
		}
		out.created = created.created
	}
	return nil, out
}

// holdForQuota checks quota before anything is sent: the members that fit are returned, in index order, and
// the rest wait for the quota to grow (its watch brings the set back); the outcome counts and names them.
func (r *Reconciler) holdForQuota(ctx context.Context, set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong) ([]*vmv1alpha1.Wukong, outcome) {
	if len(members) == 0 {
		return members, outcome{}
	}
	quotas, err := r.quotas(ctx, set.Namespace)
	if err != nil {
		return nil, outcome{err: err}
	}
	fit, msg := quotaFit(quotas, members)
	return members[:fit], outcome{quotaBlocked: len(members) - fit, quotaMessage: msg}
}

// dryRunShapes dry-runs the first member of each shape among members (in their order) that no dry run for the
// set has accepted yet, and remembers the shapes accepted. It returns the errors by member name
// and the shapes refused. AlreadyExists is an answer about the name, not the shape: the member exists.
func (r *Reconciler) dryRunShapes(ctx context.Context, set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong, shapes map[string]string, workers int) (map[string]error, map[string]bool) {
	v := r.validated.of(set)
	var reps []*vmv1alpha1.Wukong
	picked := map[string]bool{}
	for _, m := range members {
		if k := shapes[m.Name]; !v.shapes[k] && !picked[k] {
			picked[k] = true
			reps = append(reps, m)
		}
	}
	errs := parallel(ctx, reps, workers, func(ctx context.Context, m *vmv1alpha1.Wukong) error {
		err := r.Client.Create(ctx, m.DeepCopy(), client.DryRunAll)
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	refused := map[string]bool{}
	for _, m := range reps {
		if errs[m.Name] != nil {
			refused[shapes[m.Name]] = true
		} else {
			v.shapes[shapes[m.Name]] = true
		}
	}
	return errs, refused
}

// createMembers creates members in slow-start batches of 1, 2, 4, … (capped by workers) and stops after the
// first batch with a failure, so a systematic error (quota, admission) costs a few calls, not hundreds.
// AlreadyExists is success: names are deterministic, so an object of that name created by an earlier pass
// the cache has not shown yet is the member itself. progress hears of the members created after each batch;
// one event says which members the call created.
func (r *Reconciler) createMembers(ctx context.Context, set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong, workers int, progress progressFunc) outcome {
	done, errs := slowStart(ctx, members, workers, progress, func(ctx context.Context, m *vmv1alpha1.Wukong) error {
		// Surge members are the rollout's: a repeated surge create only costs an AlreadyExists, while an
		// expectation would make the scale planner count it as a regular member.
		if m.Labels[vmv1alpha1.LabelSurge] != "true" {
			r.expect.expectCreate(set.UID, m.Name)
		}
		err := r.Client.Create(ctx, m)
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		if err != nil {
			r.expect.forgetCreate(set.UID, m.Name)
			metrics.CreateFailures.WithLabelValues(set.Namespace, set.Name, string(apierrors.ReasonForError(err))).Inc()
		}
		return err
	})
	metrics.MembersCreated.WithLabelValues(set.Namespace, set.Name).Add(float64(len(done)))
	if len(done) > 0 {
		r.event(set, "Normal", vmv1alpha1.ReasonSuccessfulCreate, "Create", "created members %s", memberRanges(set, done))
	}
	if len(errs) > 0 {
		msgs, _ := describe(errs)
		return outcome{failureReason: vmv1alpha1.ReasonCreateFailed, failureMessage: msgs, created: done,
			err: fmt.Errorf("create members of WukongSet %s: %s", set.Name, msgs)}
	}
	return outcome{created: done}
}

// deleteMembers deletes members, each bound to the UID observed: a stale cache never deletes a same-named
// member created since. A member the cache does not show yet (only expected) is left for a later pass.
func (r *Reconciler) deleteMembers(ctx context.Context, set *vmv1alpha1.WukongSet, names []string, obs *observation, workers int) outcome {
	victims := obs.pick(names)
	errs := parallel(ctx, victims, workers, func(ctx context.Context, m *vmv1alpha1.Wukong) error {
		r.expect.expectDelete(set.UID, m.Name)
		// Foreground: the member keeps its name until the garbage collector has removed its VM, disks and
		// Secret, so a member re-created at the same index never meets its predecessor's children.
		err := r.Client.Delete(ctx, m.DeepCopy(), client.PropagationPolicy(metav1.DeletePropagationForeground),
			client.Preconditions{UID: &m.UID})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			// Gone already, or another object holds the name now: nothing of ours to delete.
			return nil
		}
		return err
	})
	for name, err := range errs {
		r.expect.forgetDelete(set.UID, name)
		metrics.DeleteFailures.WithLabelValues(set.Namespace, set.Name, string(apierrors.ReasonForError(err))).Inc()
	}
	if len(victims) > len(errs) {
		var deleted []*vmv1alpha1.Wukong
		for _, m := range victims {
			if errs[m.Name] == nil {
				deleted = append(deleted, m)
			}
		}
		r.event(set, "Normal", vmv1alpha1.ReasonSuccessfulDelete, "Delete", "deleted members %s", memberRanges(set, deleted))
	}
	if len(errs) > 0 {
		msgs, _ := describe(errs)
		return outcome{failureReason: vmv1alpha1.ReasonDeleteFailed, failureMessage: msgs, err: fmt.Errorf("delete members of WukongSet %s: %s", set.Name, msgs)}
	}
	return outcome{}
}

// slowStart runs fn on items in batches of 1, 2, 4, … (capped by workers) and stops after the first batch
// with a failure, so a systematic error costs a few calls, not hundreds. After each batch that is not the
// last, progress (when not nil) hears of the items done so far. It returns the items done and the errors by
// member name.
func slowStart(ctx context.Context, items []*vmv1alpha1.Wukong, workers int, progress progressFunc, fn func(context.Context, *vmv1alpha1.Wukong) error) ([]*vmv1alpha1.Wukong, map[string]error) {
	var done []*vmv1alpha1.Wukong
	for start, size := 0, 1; start < len(items); start, size = start+size, min(size*2, workers) {
		batch := items[start:min(start+size, len(items))]
		errs := parallel(ctx, batch, workers, fn)
		for _, m := range batch {
			if errs[m.Name] == nil {
				done = append(done, m)
			}
		}
		if progress != nil && len(errs) == 0 && start+size < len(items) {
			progress(done)
		}
		if len(errs) > 0 {
			return done, errs
		}
	}
	return done, nil
}

// parallel runs fn on every item with at most workers at once and returns the errors by member name.
func parallel(ctx context.Context, items []*vmv1alpha1.Wukong, workers int, fn func(context.Context, *vmv1alpha1.Wukong) error) map[string]error {
	var (
		mu   sync.Mutex
		errs = map[string]error{}
		wg   sync.WaitGroup
		sem  = make(chan struct{}, workers)
	)
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, it); err != nil {
				mu.Lock()
				errs[it.Name] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// describe joins errors into one message ordered by member index, and reports whether any is a template
// problem no retry can fix (templateError). The message may quote an image URL with its password: the
// condition and the returned error are redacted where they leave the controller.
func describe(errs map[string]error) (string, bool) {
	names := make([]string, 0, len(errs))
	for n := range errs {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return memberOrder(names[i]) < memberOrder(names[j]) })
	var parts []string
	invalid := false
	for i, n := range names {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("member %s: %v", n, errs[n]))
	}
	for _, err := range errs {
		if templateError(err) {
			invalid = true
		}
	}
	return strings.Join(parts, "; "), invalid
}

func memberOrder(name string) int {
	if i := strings.LastIndexByte(name, '-'); i >= 0 {
		if n, ok := naming.MemberIndex(name[:i], name); ok {
			return n
		}
	}
	return 0
}
