package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/testenv"
)

const (
	// sampleFile is the design's example 6.1, applied as written.
	sampleFile = "vm_v1alpha1_wukongset_basic.yaml"
	namespace  = "default"
	// scaleTo is the replica count of the scaling step.
	scaleTo = 8
	// rolloutStall is how long the rollout may make no progress before the demo reports it stuck and moves
	// on instead of hanging.
	rolloutStall = 60 * time.Second
	// pollInterval paces the status reads; the client is direct and unthrottled, the apiserver local.
	pollInterval = 200 * time.Millisecond
)

// scenario plays example 6.1 in a namespace with a ResourceQuota: create, scale into the quota, raise it,
// roll out.
type scenario struct {
	c     client.Client
	out   io.Writer
	start time.Time
}

func (s *scenario) run(ctx context.Context) error {
	set, err := loadSample(filepath.Join(testenv.RepoRoot(), "config", "samples", sampleFile))
	if err != nil {
		return err
	}
	set.Namespace = namespace
	key := client.ObjectKeyFromObject(set)

	// 0. A namespace quota, which the scale step runs into.
	if err := s.createQuota(ctx); err != nil {
		return err
	}

	// 1. Create.
	s.step("Applying config/samples/%s (design example 6.1): WukongSet %s, %d replicas of %s.",
		sampleFile, set.Name, *set.Spec.Replicas, describeTemplate(set))
	if err := s.c.Create(ctx, set); err != nil {
		return fmt.Errorf("create WukongSet %s: %w", key, err)
	}
	if err := s.waitScaled(ctx, key); err != nil {
		return err
	}
	if err := s.printMembers(ctx, set); err != nil {
		return err
	}

	// 2. Scale, into the quota: the members that do not fit wait, with a condition saying why, until the
	// quota is raised.
	s.step("Scaling %s to %d (as `kubectl scale wukongset/%s --replicas=%d` would): only %d Wukongs fit the quota.",
		set.Name, scaleTo, set.Name, scaleTo, quotaFirst)
	if err := s.patch(ctx, key, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Replicas = ptr(int32(scaleTo)) }); err != nil {
		return err
	}
	if err := s.waitQuotaLimited(ctx, key); err != nil {
		return err
	}
	if err := s.raiseQuota(ctx); err != nil {
		return err
	}
	if err := s.waitScaled(ctx, key); err != nil {
		return err
	}
	if err := s.printQuota(ctx); err != nil {
		return err
	}
	if err := s.printMembers(ctx, set); err != nil {
		return err
	}

	// 3. Roll out a template change.
	s.step("Rolling update: adding the label version=v2 to the template of %s. A label change updates every "+
		"member, VM and running VM instance in place: nothing restarts, no disk is touched.", set.Name)
	before, err := s.identities(ctx, set)
	if err != nil {
		return err
	}
	if err := s.patch(ctx, key, func(ws *vmv1alpha1.WukongSet) {
		if ws.Spec.Template.Metadata.Labels == nil {
			ws.Spec.Template.Metadata.Labels = map[string]vmv1alpha1.TemplateString{}
		}
		ws.Spec.Template.Metadata.Labels["version"] = "v2"
	}); err != nil {
		return err
	}
	done, err := s.waitRolledOut(ctx, key)
	if err != nil {
		return err
	}
	if !done {
		return nil
	}
	after, err := s.identities(ctx, set)
	if err != nil {
		return err
	}
	s.progress(keptLine(before, after))
	return s.printMembers(ctx, set)
}

// identity is what an in-place update keeps: the member's VM, its running instance and its DataVolumes.
type identity struct{ vm, instance, disks string }

// identities records the UIDs behind each member, by member name.
func (s *scenario) identities(ctx context.Context, set *vmv1alpha1.WukongSet) (map[string]identity, error) {
	ms, err := s.members(ctx, set)
	if err != nil {
		return nil, err
	}
	out := map[string]identity{}
	for _, m := range ms {
		var id identity
		vm, vmi := &kubevirtv1.VirtualMachine{}, &kubevirtv1.VirtualMachineInstance{}
		if err := s.c.Get(ctx, client.ObjectKeyFromObject(&m), vm); err == nil {
			id.vm = string(vm.UID)
		}
		if err := s.c.Get(ctx, client.ObjectKeyFromObject(&m), vmi); err == nil {
			id.instance = string(vmi.UID)
		}
		dvs := &cdiv1.DataVolumeList{}
		if err := s.c.List(ctx, dvs, client.InNamespace(m.Namespace), client.MatchingLabels{vmv1alpha1.LabelWukong: m.Name}); err != nil {
			return nil, fmt.Errorf("list DataVolumes of %s: %w", m.Name, err)
		}
		for _, dv := range dvs.Items {
			id.disks += string(dv.UID) + ","
		}
		out[m.Name] = id
	}
	return out, nil
}

// keptLine says how many members kept their VM, VM instance and disks across the rollout.
func keptLine(before, after map[string]identity) string {
	vms, instances, disks := 0, 0, 0
	for name, b := range before {
		a := after[name]
		if a.vm == b.vm && b.vm != "" {
			vms++
		}
		if a.instance == b.instance && b.instance != "" {
			instances++
		}
		if a.disks == b.disks && b.disks != "" {
			disks++
		}
	}
	return fmt.Sprintf("of %d members: %d kept their VirtualMachine, %d their running VM instance (not restarted), "+
		"%d their DataVolumes (same objects, same UIDs)", len(before), vms, instances, disks)
}

// waitScaled prints progress until the set's status has caught up with its spec and every member is ready.
func (s *scenario) waitScaled(ctx context.Context, key client.ObjectKey) error {
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
		if p.current && p.exist == p.want && p.ready == p.want {
			return nil
		}
		if err := sleep(ctx, fmt.Sprintf("%d ready members of %s", p.want, key.Name)); err != nil {
			return err
		}
	}
}

// waitRolledOut prints progress until every member runs the new template and is ready. It reports false,
// without error, when the rollout makes no progress for rolloutStall (the set's Progressing condition says
// why).
func (s *scenario) waitRolledOut(ctx context.Context, key client.ObjectKey) (bool, error) {
	last, lastUpdated, progressed := "", int32(-1), time.Now()
	for {
		p, err := s.observe(ctx, key)
		if err != nil {
			return false, err
		}
		line := fmt.Sprintf("%s: %d/%d updated, %d/%d ready (%d exist%s)",
			key.Name, p.updated, p.want, p.ready, p.want, p.exist, p.phases)
		if p.current && line != last {
			s.progress(line)
			last = line
		}
		if p.current && p.updated == p.want && p.exist == p.want && p.ready == p.want {
			return true, nil
		}
		if !p.current || p.updated != lastUpdated {
			lastUpdated, progressed = p.updated, time.Now()
		}
		if time.Since(progressed) >= rolloutStall {
			s.step("The rollout of %s made no progress for %s (%d/%d members updated); see its Progressing "+
				"condition. Not waiting further.", key.Name, rolloutStall, p.updated, p.want)
			return false, nil
		}
		if err := sleep(ctx, fmt.Sprintf("the rollout of %s", key.Name)); err != nil {
			return false, err
		}
	}
}

// progress is one observation of a set.
type progress struct {
	// want is spec.replicas; ready and updated are the set's status (what the operator decided).
	want, ready, updated int32
	// current is true when the status was computed from the set's latest generation and its replica count
	// agrees with the members that exist; ready and updated mean nothing for the spec until it is.
	current bool
	// exist counts the members that exist and are not being deleted, as listed; phases counts them by phase,
	// formatted as ": 3 Provisioning, 2 Running", empty with no members.
	exist  int32
	phases string
}

func (s *scenario) observe(ctx context.Context, key client.ObjectKey) (progress, error) {
	set := &vmv1alpha1.WukongSet{}
	if err := s.c.Get(ctx, key, set); err != nil {
		return progress{}, fmt.Errorf("get WukongSet %s: %w", key, err)
	}
	ms, err := s.members(ctx, set)
	if err != nil {
		return progress{}, err
	}
	var exist int32
	count := map[vmv1alpha1.WukongPhase]int{}
	for _, m := range ms {
		if m.DeletionTimestamp.IsZero() {
			exist++
			count[m.Status.Phase]++
		}
	}
	var parts []string
	for _, ph := range []vmv1alpha1.WukongPhase{"", vmv1alpha1.WukongPending, vmv1alpha1.WukongProvisioning,
		vmv1alpha1.WukongStarting, vmv1alpha1.WukongRunning, vmv1alpha1.WukongStopped, vmv1alpha1.WukongFailed} {
		if n := count[ph]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, phaseName(ph)))
		}
	}
	p := progress{
		want:    ptrValue(set.Spec.Replicas, 1),
		exist:   exist,
		ready:   set.Status.ReadyReplicas,
		updated: set.Status.UpdatedReplicas,
	}
	p.current = set.Status.ObservedGeneration >= set.Generation && set.Status.Replicas == exist
	if len(parts) > 0 {
		p.phases = ": " + strings.Join(parts, ", ")
	}
	return p, nil
}

// members lists the set's Wukongs by index.
func (s *scenario) members(ctx context.Context, set *vmv1alpha1.WukongSet) ([]vmv1alpha1.Wukong, error) {
	list := &vmv1alpha1.WukongList{}
	if err := s.c.List(ctx, list, client.InNamespace(set.Namespace),
		client.MatchingLabels{vmv1alpha1.LabelSet: set.Name}); err != nil {
		return nil, fmt.Errorf("list members of WukongSet %s: %w", set.Name, err)
	}
	ms := list.Items
	sort.Slice(ms, func(i, j int) bool { return index(ms[i]) < index(ms[j]) })
	return ms, nil
}

// printMembers prints the members as `kubectl get wukongs` would, from each Wukong's status.
func (s *scenario) printMembers(ctx context.Context, set *vmv1alpha1.WukongSet) error {
	ms, err := s.members(ctx, set)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.out)
	tw := tabwriter.NewWriter(s.out, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tPHASE\tIP\tNODE")
	for _, m := range ms {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", m.Name, phaseName(m.Status.Phase), orNone(m.Status.IP), orNone(m.Status.NodeName))
	}
	return tw.Flush()
}

// patch changes the set with a merge patch computed from mutate.
func (s *scenario) patch(ctx context.Context, key client.ObjectKey, mutate func(*vmv1alpha1.WukongSet)) error {
	set := &vmv1alpha1.WukongSet{}
	if err := s.c.Get(ctx, key, set); err != nil {
		return fmt.Errorf("get WukongSet %s: %w", key, err)
	}
	before := set.DeepCopy()
	mutate(set)
	if err := s.c.Patch(ctx, set, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("patch WukongSet %s: %w", key, err)
	}
	return nil
}

// step prints a headline of the scenario.
func (s *scenario) step(format string, args ...any) {
	fmt.Fprintf(s.out, "\n==> "+format+"\n", args...)
}

// progress prints a status line with the time since the demo started.
func (s *scenario) progress(line string) {
	fmt.Fprintf(s.out, "  [%6.1fs] %s\n", time.Since(s.start).Seconds(), line)
}

// loadSample reads a WukongSet from a YAML file of config/samples.
func loadSample(path string) (*vmv1alpha1.WukongSet, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sample: %w", err)
	}
	set := &vmv1alpha1.WukongSet{}
	if err := yaml.UnmarshalStrict(raw, set); err != nil {
		return nil, fmt.Errorf("decode sample %s: %w", path, err)
	}
	if set.Spec.Replicas == nil {
		set.Spec.Replicas = ptr(int32(1))
	}
	return set, nil
}

// describeTemplate summarises a set's member: CPUs, memory and disks.
func describeTemplate(set *vmv1alpha1.WukongSet) string {
	spec := set.Spec.Template.Spec
	desc := fmt.Sprintf("%d CPU, %s memory", spec.CPU, spec.Memory.String())
	for _, d := range spec.Disks {
		desc += fmt.Sprintf(", %s disk %s", d.Size.String(), d.Name)
		if d.Image != "" {
			desc += " from " + d.Image
		}
	}
	return desc
}

// sleep waits one poll interval; when ctx ends first it says what was awaited.
func sleep(ctx context.Context, what string) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
	case <-time.After(pollInterval):
		return nil
	}
}

func index(m vmv1alpha1.Wukong) int {
	i, err := strconv.Atoi(m.Labels[vmv1alpha1.LabelIndex])
	if err != nil {
		return -1
	}
	return i
}

func phaseName(p vmv1alpha1.WukongPhase) string {
	if p == "" {
		return "New"
	}
	return string(p)
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func ptr[T any](v T) *T { return &v }

func ptrValue[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
