package wukongset

import (
	"context"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"slices"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cdi"
)

// Golden volumes (imagePolicy ImportOnce): the set imports each distinct image once into a DataVolume it
// owns, and members' disks clone it. The set creates, lists and deletes them in its own namespace.
//
// +kubebuilder:rbac:groups=cdi.kubevirt.io,resources=datavolumes,verbs=get;list;watch;create;delete

// Event reasons of golden volumes.
const (
	ReasonGoldenCreated = "GoldenVolumeCreated"
	ReasonGoldenDeleted = "GoldenVolumeDeleted"
)

// goldenVolume is an existing golden DataVolume of the set, as the planner sees it.
type goldenVolume struct {
	// Name is the DataVolume's name.
	Name string
	// Deleting is true once it has a deletion timestamp; its name is still taken.
	Deleting bool
}

// goldenInput is everything the golden-volume planner decides from.
type goldenInput struct {
	// Desired are the golden volumes the current template needs at every index, and those the members
	// created on this pass need (possibly from an older revision).
	Desired []cdi.Golden
	// Existing are the golden DataVolumes the set controls.
	Existing []goldenVolume
	// Referenced are golden volumes still in use: named in a member's disk (pvc://…), or the source of a
	// DataVolume whose clone has not succeeded yet (a member's, a retained one, one being deleted).
	Referenced map[string]bool
}

// goldenPlan is what the reconciler does with golden volumes on this pass.
type goldenPlan struct {
	// Create are golden volumes to create (import), by name order.
	Create []cdi.Golden
	// Delete are golden DataVolumes no member needs any more, by name.
	Delete []string
	// Waiting counts desired golden volumes whose name is held by one being deleted; its deletion brings the
	// set back.
	Waiting int
}

// planGoldens decides which golden volumes to import and which to delete. A golden volume is a clone
// source, never a member's disk: once every clone of it has succeeded, the members' disks hold their own
// copy, so it may go when nothing desired or referenced names it. It is kept while any member's spec names
// it (a member whose disk is deleted clones it again) and while any clone of it is still running.
func planGoldens(in goldenInput) goldenPlan {
	var p goldenPlan
	existing := map[string]goldenVolume{}
	for _, g := range in.Existing {
		existing[g.Name] = g
	}
	desired := map[string]bool{}
	for _, g := range in.Desired {
		if desired[g.Name] {
			continue
		}
		desired[g.Name] = true
		switch e, ok := existing[g.Name]; {
		case !ok:
			p.Create = append(p.Create, g)
		case e.Deleting:
			p.Waiting++
		}
	}
	for _, e := range in.Existing {
		if !e.Deleting && !desired[e.Name] && !in.Referenced[e.Name] {
			p.Delete = append(p.Delete, e.Name)
		}
	}
	sort.Slice(p.Create, func(i, j int) bool { return p.Create[i].Name < p.Create[j].Name })
	sort.Strings(p.Delete)
	return p
}

// syncGoldens reads the set's golden volumes and their users, plans (planGoldens) and executes: it creates
// the golden volumes this pass's members need before they are created, and deletes those nothing refers to.
// It reads no member's DataVolume: the set's golden volumes are found by their labels, and the clones still
// running from each by the cloneSourceIndex, so a pass costs the same with 10 members as with 10,000.
func (r *Reconciler) syncGoldens(ctx context.Context, set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong, plan stepPlan, revs *revisions) error {
	// Read-only shallow copies of the cache's objects.
	var dvs cdiv1.DataVolumeList
	if err := r.Client.List(ctx, &dvs, client.InNamespace(set.Namespace), client.MatchingLabels{vmv1alpha1.LabelSet: set.Name},
		client.HasLabels{vmv1alpha1.LabelGolden}, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list golden DataVolumes of WukongSet %s: %w", set.Name, err)
	}
	in := goldenInput{Referenced: map[string]bool{}}
	uids := map[string]metav1.Object{}
	for i := range dvs.Items {
		dv := &dvs.Items[i]
		if ref := metav1.GetControllerOf(dv); ref != nil && ref.UID == set.UID {
			in.Existing = append(in.Existing, goldenVolume{Name: dv.Name, Deleting: !dv.DeletionTimestamp.IsZero()})
			uids[dv.Name] = dv
		}
	}
	if len(in.Existing) == 0 && setmember.ImagePolicy(set) != vmv1alpha1.ImagePolicyImportOnce {
		return nil
	}
	for _, g := range in.Existing {
		// One running clone is enough to keep it; while 10,000 members clone it, a pass reads one of them.
		var clones cdiv1.DataVolumeList
		if err := r.Client.List(ctx, &clones, client.InNamespace(set.Namespace),
			client.MatchingFields{cloneSourceIndex: cloneSourceKey(set.Namespace, g.Name)}, client.Limit(1), client.UnsafeDisableDeepCopy); err != nil {
			return fmt.Errorf("list clones of golden DataVolume %s: %w", g.Name, err)
		}
		if len(clones.Items) > 0 {
			in.Referenced[g.Name] = true
		}
	}
	for _, m := range members {
		for _, d := range m.Spec.Disks {
			if src, err := cdi.ParseClone(d.Image); err == nil && src.Kind == cdi.CloneFromPVC && src.Namespace == set.Namespace {
				in.Referenced[src.Name] = true
			}
		}
	}
	in.Desired = r.desiredGoldens(set, plan, revs)
	gp := planGoldens(in)
	for _, g := range gp.Create {
		dv, err := cdi.GoldenDataVolume(set, g)
		if err != nil {
			return err
		}
		if err := r.Client.Create(ctx, dv); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create golden DataVolume %s: %w", g.Name, err)
		}
		r.event(set, "Normal", ReasonGoldenCreated, "Create", "importing golden DataVolume %s for members to clone", g.Name)
	}
	for _, name := range gp.Delete {
		uid := uids[name].GetUID()
		err := r.Client.Delete(ctx, &cdiv1.DataVolume{ObjectMeta: metav1.ObjectMeta{Namespace: set.Namespace, Name: name}},
			client.Preconditions{UID: &uid}, client.PropagationPolicy(metav1.DeletePropagationBackground))
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete golden DataVolume %s: %w", name, err)
		}
		r.event(set, "Normal", ReasonGoldenDeleted, "Delete", "deleted golden DataVolume %s: no member clones it any more", name)
	}
	return nil
}

// desiredGoldens are the golden volumes of the current template at every index, plus those of the members
// this pass creates from another revision. A member the template cannot be rendered for needs none: the
// pass reports the template invalid and creates nothing.
func (r *Reconciler) desiredGoldens(set *vmv1alpha1.WukongSet, plan stepPlan, revs *revisions) []cdi.Golden {
	if setmember.ImagePolicy(set) != vmv1alpha1.ImagePolicyImportOnce {
		return nil
	}
	var out []cdi.Golden
	seen := map[string]bool{}
	add := func(gs []cdi.Golden) {
		for _, g := range gs {
			if !seen[g.Name] {
				seen[g.Name] = true
				out = append(out, g)
			}
		}
	}
	// The current template's are known once per generation of the spec.
	v := r.validated.of(set)
	if !v.goldensKnown {
		for i := 0; i < setmember.Replicas(set); i++ {
			if _, gs, err := r.Renderer.MemberAndGoldens(set, set.Spec.Template, i, revs.update, false); err == nil {
				add(gs)
			}
		}
		v.goldens, v.goldensKnown = slices.Clone(out), true
	} else {
		add(v.goldens)
	}
	for _, c := range plan.Create {
		if c.Revision == revs.update && c.Index < setmember.Replicas(set) {
			continue
		}
		if t, ok := revs.templates[c.Revision]; ok {
			if _, gs, err := r.Renderer.MemberAndGoldens(set, t, c.Index, c.Revision, c.Surge); err == nil {
				add(gs)
			}
		}
	}
	return out
}

// cloneSourceIndex indexes DataVolumes whose clone from a PVC has not succeeded yet by that PVC, as
// cloneSourceKey: a golden volume is in use while any clone of it runs.
const cloneSourceIndex = "spec.source.pvc.running"

func cloneSourceKey(namespace, name string) string { return namespace + "/" + name }

// runningCloneSource is the cloneSourceIndex of a DataVolume: its PVC source while the clone has not succeeded.
func runningCloneSource(obj client.Object) []string {
	dv, ok := obj.(*cdiv1.DataVolume)
	if !ok || dv.Spec.Source == nil || dv.Spec.Source.PVC == nil || dv.Status.Phase == cdiv1.Succeeded {
		return nil
	}
	return []string{cloneSourceKey(dv.Spec.Source.PVC.Namespace, dv.Spec.Source.PVC.Name)}
}
