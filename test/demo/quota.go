package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

const (
	// quotaName is the demo namespace's ResourceQuota.
	quotaName = "vm-quota"
	// quotaResource is what it limits: the number of Wukongs, which the apiserver's quota admission counts.
	quotaResource = corev1.ResourceName("count/wukongs.vm.novasphere.dev")
	// quotaFirst and quotaRaised are the quota's limit before and after it is raised; the scale step asks for
	// scaleTo members, more than quotaFirst.
	quotaFirst, quotaRaised = 6, scaleTo
)

// createQuota creates the namespace's ResourceQuota and waits until kube-controller-manager's resource quota
// controller has given it a status: until then the apiserver enforces nothing and the operator's pre-check
// sees no limit, as on a cluster.
func (s *scenario) createQuota(ctx context.Context) error {
	rq := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: quotaName, Namespace: namespace},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{quotaResource: *resource.NewQuantity(quotaFirst, resource.DecimalSI)}},
	}
	s.step("Applying ResourceQuota %s to namespace %s: at most %d Wukongs (%s). kube-controller-manager's "+
		"resource quota controller tracks its use, as on a cluster.", quotaName, namespace, quotaFirst, quotaResource)
	if err := s.c.Create(ctx, rq); err != nil {
		return fmt.Errorf("create ResourceQuota %s: %w", quotaName, err)
	}
	for {
		got := &corev1.ResourceQuota{}
		if err := s.c.Get(ctx, client.ObjectKeyFromObject(rq), got); err != nil {
			return fmt.Errorf("get ResourceQuota %s: %w", quotaName, err)
		}
		if _, ok := got.Status.Hard[quotaResource]; ok {
			return nil
		}
		if err := sleep(ctx, "the status of ResourceQuota "+quotaName); err != nil {
			return err
		}
	}
}

// waitQuotaLimited prints progress until the set has as many members as the quota allows, all ready, and
// says it waits for quota; then it prints the set's QuotaExceeded condition and the quota's use.
func (s *scenario) waitQuotaLimited(ctx context.Context, key client.ObjectKey) error {
	last := ""
	for {
		p, err := s.observe(ctx, key)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s: %d/%d ready (%d exist%s)", key.Name, p.ready, p.want, p.exist, p.phases)
		if p.current && line != last {
			s.progress(line)
			last = line
		}
		set := &vmv1alpha1.WukongSet{}
		if err := s.c.Get(ctx, key, set); err != nil {
			return fmt.Errorf("get WukongSet %s: %w", key, err)
		}
		cond := meta.FindStatusCondition(set.Status.Conditions, vmv1alpha1.SetQuotaExceeded)
		if p.current && p.exist == quotaFirst && p.ready == quotaFirst && cond != nil && cond.Status == metav1.ConditionTrue {
			s.progress(fmt.Sprintf("condition %s: %s", cond.Type, cond.Message))
			return s.printQuota(ctx)
		}
		if err := sleep(ctx, fmt.Sprintf("%s to wait for quota with %d members", key.Name, quotaFirst)); err != nil {
			return err
		}
	}
}

// raiseQuota sets the quota's limit to quotaRaised.
func (s *scenario) raiseQuota(ctx context.Context) error {
	s.step("Raising ResourceQuota %s to %d Wukongs: the set creates the members that waited, by itself.", quotaName, quotaRaised)
	rq := &corev1.ResourceQuota{}
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: quotaName}, rq); err != nil {
		return fmt.Errorf("get ResourceQuota %s: %w", quotaName, err)
	}
	before := rq.DeepCopy()
	rq.Spec.Hard[quotaResource] = *resource.NewQuantity(quotaRaised, resource.DecimalSI)
	if err := s.c.Patch(ctx, rq, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("raise ResourceQuota %s: %w", quotaName, err)
	}
	return nil
}

// printQuota prints the quota's use as its status says, as `kubectl get resourcequota` would.
func (s *scenario) printQuota(ctx context.Context) error {
	rq := &corev1.ResourceQuota{}
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: quotaName}, rq); err != nil {
		return fmt.Errorf("get ResourceQuota %s: %w", quotaName, err)
	}
	s.progress(fmt.Sprintf("ResourceQuota %s: %s %s/%s used", quotaName, quotaResource,
		quantityString(rq.Status.Used, quotaResource), quantityString(rq.Status.Hard, quotaResource)))
	return nil
}

func quantityString(l corev1.ResourceList, name corev1.ResourceName) string {
	q, ok := l[name]
	if !ok {
		return "?"
	}
	return q.String()
}
