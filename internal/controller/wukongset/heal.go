package wukongset

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/metrics"
)

// Heal actions, the first part of the heal annotation's value.
const (
	healRestart  = "restart"
	healRecreate = "recreate"
)

// healMember is one member as the healing planner sees it.
type healMember struct {
	Name string
	// NotReady is true when the member's Ready condition is False, since FailingSince (its last transition);
	// Failing when, besides, it is Failed (its VM crash-loops or failed) or cannot be scheduled. Why is the
	// Ready condition's reason and message.
	NotReady, Failing bool
	FailingSince      time.Time
	Why               string
	// Heal is the member's heal annotation: the last action taken and when.
	Heal string
}

// healAction is one action on one member.
type healAction struct {
	Name, Kind, Why string
}

// healPlan is what autohealing does in one pass.
type healPlan struct {
	// Actions are the members to restart or whose VM to re-create now.
	Actions []healAction
	// Healing describes the members healed and still failing, and those given up on, for the Healing
	// condition; empty when none.
	Healing []string
	// Recheck is when a failing member becomes due, 0 when none will.
	Recheck time.Duration
}

// parseHeal splits a heal annotation "kind/time".
func parseHeal(v string) (string, time.Time, bool) {
	kind, at, ok := strings.Cut(v, "/")
	if !ok {
		return "", time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, at)
	return kind, t, err == nil
}

// planHealing decides which failing members to heal, as KubeVirt's VirtualMachinePool autohealing does
// (pkg/virt-controller/watch/pool/pool.go, v1.7: a VM crash-looping, unschedulable or with a disk error for
// minFailingToStartDuration is replaced), with one step before replacing: a member failing for failedFor is
// first restarted; still failing failedFor after that, its VM is re-created (disks kept); still failing
// failedFor after that, it is reported and left alone. A member that fails again after recovering starts
// over. At most maxConcurrent members are being healed (acted on and still failing) at a time.
func planHealing(ms []healMember, failedFor time.Duration, maxConcurrent int, now time.Time) healPlan {
	var plan healPlan
	var due []healAction
	inProgress := 0
	wait := func(at time.Time) {
		if d := at.Sub(now); d > 0 && (plan.Recheck == 0 || d < plan.Recheck) {
			plan.Recheck = d
		}
	}
	for _, m := range ms {
		kind, at, ok := parseHeal(m.Heal)
		acted := ok && m.NotReady && !m.FailingSince.After(at)
		if !m.Failing && !acted {
			// Healthy, or not ready for another reason (starting, importing, stopped), and not being healed.
			continue
		}
		if !acted {
			// Not acted on for this failure yet.
			if now.Sub(m.FailingSince) >= failedFor {
				due = append(due, healAction{Name: m.Name, Kind: healRestart, Why: m.Why})
			} else {
				wait(m.FailingSince.Add(failedFor))
			}
			continue
		}
		switch {
		case kind == healRestart && now.Sub(at) >= failedFor:
			inProgress++
			due = append(due, healAction{Name: m.Name, Kind: healRecreate, Why: m.Why})
		case kind == healRestart:
			inProgress++
			wait(at.Add(failedFor))
			plan.Healing = append(plan.Healing, fmt.Sprintf("%s restarted at %s: %s", m.Name, at.Format(time.RFC3339), m.Why))
		case kind == healRecreate && now.Sub(at) < failedFor:
			inProgress++
			wait(at.Add(failedFor))
			plan.Healing = append(plan.Healing, fmt.Sprintf("%s VM re-created at %s: %s", m.Name, at.Format(time.RFC3339), m.Why))
		default:
			plan.Healing = append(plan.Healing, fmt.Sprintf("%s still failing after its VM was restarted and re-created; "+
				"autohealing gave up, see kubectl describe wukong %s: %s", m.Name, m.Name, m.Why))
		}
	}
	// A member already being healed moves on whatever the cap; new ones only within it.
	sort.SliceStable(due, func(i, j int) bool { return due[i].Kind == healRecreate && due[j].Kind != healRecreate })
	slots := maxConcurrent - inProgress
	for _, a := range due {
		if a.Kind == healRestart {
			if slots <= 0 {
				plan.Healing = append(plan.Healing, fmt.Sprintf("%s waits to be healed (at most %d at a time): %s", a.Name, maxConcurrent, a.Why))
				continue
			}
			slots--
		}
		plan.Actions = append(plan.Actions, a)
	}
	return plan
}

// healInput turns members into the healing planner's view.
func healInput(members []*vmv1alpha1.Wukong) []healMember {
	var out []healMember
	for _, m := range members {
		if !m.DeletionTimestamp.IsZero() {
			continue
		}
		hm := healMember{Name: m.Name, Heal: m.Annotations[vmv1alpha1.AnnotationHeal]}
		if c := meta.FindStatusCondition(m.Status.Conditions, vmv1alpha1.WukongReady); c != nil && c.Status != metav1.ConditionTrue {
			hm.NotReady, hm.FailingSince, hm.Why = true, c.LastTransitionTime.Time, c.Reason+": "+c.Message
			hm.Failing = c.Reason == vmv1alpha1.ReasonVMFailed || c.Reason == vmv1alpha1.ReasonUnschedulable
		}
		out = append(out, hm)
	}
	return out
}

func healSettings(a *vmv1alpha1.Autohealing) (time.Duration, int) {
	failedFor, maxConcurrent := 5*time.Minute, 1
	if a.FailedFor != nil {
		failedFor = a.FailedFor.Duration
	}
	if a.MaxConcurrent != nil {
		maxConcurrent = int(*a.MaxConcurrent)
	}
	return failedFor, maxConcurrent
}

// heal runs autohealing for a set that asks for it: plans, then marks each member to heal with the heal
// annotation, which its controller acts on once. It returns the plan, for the status.
func (r *Reconciler) heal(ctx context.Context, set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong, now time.Time) (healPlan, error) {
	if set.Spec.Autohealing == nil {
		return healPlan{}, nil
	}
	failedFor, maxConcurrent := healSettings(set.Spec.Autohealing)
	plan := planHealing(healInput(members), failedFor, maxConcurrent, now)
	for _, a := range plan.Actions {
		value := a.Kind + "/" + now.UTC().Format(time.RFC3339)
		patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, vmv1alpha1.AnnotationHeal, value)
		m := &vmv1alpha1.Wukong{}
		m.Name, m.Namespace = a.Name, set.Namespace
		if err := r.Client.Patch(ctx, m, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return plan, fmt.Errorf("heal member %s: %w", a.Name, err)
		}
		metrics.MembersHealed.WithLabelValues(set.Namespace, set.Name, a.Kind).Inc()
		what := "restarting its VM"
		if a.Kind == healRecreate {
			what = "re-creating its VM (disks kept): a restart did not help"
		}
		r.event(set, "Warning", vmv1alpha1.ReasonMemberHealed, "Heal", "autohealing member %s, %s; %s", a.Name, what, a.Why)
		plan.Healing = append(plan.Healing, fmt.Sprintf("%s: %s; %s", a.Name, what, a.Why))
	}
	return plan, nil
}
