package wukongset

import (
	"flag"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/rollout/*.golden from the planners' current output")

// The rollout sequences below drive the step planner through whole rollouts in a small deterministic world:
// each step is one reconcile pass on a fresh cache, built with the reconciler's own adapters (rolloutInput,
// scaleInput, computeStatus) and planned by planStep, exactly as Reconcile does. Only the executor's effect on
// the world is modelled here (see simWorld.apply): members updated in place, stopped, deleted or created.

const simSet = "s"

// simNow is the reconciler's clock in every step; readiness is decided by the step count, not by time.
var simNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// simMember is one member of the simulated world.
type simMember struct {
	index    int
	revision string
	surge    bool
	// readyAt is the first step at which the member is available; -1: never (its revision is broken).
	readyAt int
	// upToDateAt is the first step at which the member's VM runs its spec (after an in-place update).
	upToDateAt int
	// goneAt is the step at which a member being deleted has disappeared; 0: not being deleted.
	goneAt int
	// held: stopped for a Recreate update, its VM stopped from step stoppedAt on.
	held      bool
	stoppedAt int
}

func (m *simMember) name() string   { return naming.Member(simSet, m.index) }
func (m *simMember) deleting() bool { return m.goneAt > 0 }

func (m *simMember) stopped(step int) bool { return m.held && step >= m.stoppedAt }

func (m *simMember) ready(step int) bool {
	return m.readyAt >= 0 && step >= m.readyAt && !m.stopped(step)
}

func (m *simMember) upToDate(step int) bool { return step >= m.upToDateAt }

// available is what the rollout planner counts: ready and not being deleted (minReadySeconds is 0).
func (m *simMember) available(step int) bool { return !m.deleting() && m.ready(step) }

// simWorld is the apiserver as the planners see it: a set and its members.
type simWorld struct {
	set *vmv1alpha1.WukongSet
	// update is the revision of the set's current template; known are every revision stored so far.
	update string
	known  []string
	broken map[string]bool
	// kinds is how members move to each revision (updateRestart when not given).
	kinds map[string]updateKind
	// readyAfter and goneAfter: a member created at step t is available from step t+readyAfter on; a member
	// deleted at step t is gone from step t+goneAfter on (until then it is being deleted and holds its name).
	readyAfter, goneAfter int
	members               []*simMember
	step                  int
	// r is the reconciler of every pass; it keeps expectations only when the scenario asks for them.
	r            *Reconciler
	expectations bool
}

// simPass is one reconcile pass: the step planner's plan, which is what gets executed.
type simPass struct{ stepPlan }

func (w *simWorld) find(name string) *simMember {
	for _, m := range w.members {
		if m.name() == name {
			return m
		}
	}
	return nil
}

// wukongs renders the world as the objects the reconciler lists.
func (w *simWorld) wukongs() []*vmv1alpha1.Wukong {
	var out []*vmv1alpha1.Wukong
	for _, m := range w.members {
		wk := &vmv1alpha1.Wukong{}
		wk.Name, wk.Namespace = m.name(), "default"
		wk.Labels = map[string]string{vmv1alpha1.LabelSet: simSet, vmv1alpha1.LabelRevision: m.revision}
		if m.surge {
			wk.Labels[vmv1alpha1.LabelSurge] = "true"
		}
		if m.deleting() {
			wk.DeletionTimestamp = &metav1.Time{Time: simNow}
		}
		if m.held {
			wk.Annotations = map[string]string{vmv1alpha1.AnnotationStopForUpdate: w.update}
		}
		if m.stopped(w.step) {
			wk.Status.Phase = vmv1alpha1.WukongStopped
		}
		if m.ready(w.step) {
			wk.Status.Conditions = []metav1.Condition{{Type: vmv1alpha1.WukongReady, Status: metav1.ConditionTrue,
				Reason: "Ready", LastTransitionTime: metav1.Time{Time: simNow.Add(-time.Hour)}}}
		}
		upToDate := metav1.ConditionFalse
		if m.upToDate(w.step) {
			upToDate = metav1.ConditionTrue
		}
		wk.Status.Conditions = append(wk.Status.Conditions, metav1.Condition{Type: vmv1alpha1.WukongUpToDate, Status: upToDate})
		out = append(out, wk)
	}
	return out
}

// kind is how members move to the update revision.
func (w *simWorld) kind() updateKind {
	if k, ok := w.kinds[w.update]; ok {
		return k
	}
	return updateRestart
}

// reconcile is one pass of Reconcile: planStep on the members as listed, whose kinds of update are the
// scenario's. The status (and with it currentRevision) is computed from what the pass listed.
func (w *simWorld) reconcile() simPass {
	r := w.r
	if !w.expectations {
		r = &Reconciler{}
	}
	members := w.wukongs()
	obs := &observation{kinds: map[string]updateKind{}}
	for _, m := range w.members {
		if m.revision != w.update {
			obs.kinds[m.name()] = w.kind()
		}
	}
	plan := planStep(stepInput{
		Scale:           r.scaleInput(w.set, members, nil),
		Rollout:         r.rolloutInput(w.set, members, obs, w.update, simNow),
		CurrentRevision: w.set.Status.CurrentRevision,
		CurrentStored:   slices.Contains(w.known, w.set.Status.CurrentRevision),
	})
	status, _ := computeStatus(w.set, statusInput{Members: members, UpdateRevision: w.update, Pending: plan.Pending,
		Rollout: plan.Rollout, Now: simNow})
	w.set.Status = status
	return simPass{plan}
}

// simCounts are the numbers the invariants are about.
type simCounts struct{ available, total int }

func (w *simWorld) counts() simCounts {
	var c simCounts
	for _, m := range w.members {
		c.total++
		if m.available(w.step) {
			c.available++
		}
	}
	return c
}

// apply executes a pass: deletions mark members as being deleted; stops and in-place updates change the
// member as its controller and KubeVirt would (an update of a kind that restarts takes the member down for
// readyAfter steps; other kinds only take a step to be observed); a create whose name is still held fails
// with AlreadyExists, which the executor counts as success. It returns the names whose create hit an
// existing object, and how many actions changed the world. With expectations, it records them as
// deleteMembers and createMembers do.
func (w *simWorld) apply(p simPass) (exists []string, changed int) {
	for _, name := range p.Delete {
		if w.expectations {
			w.r.expect.expectDelete(w.set.UID, name)
		}
		if m := w.find(name); m != nil && !m.deleting() {
			m.goneAt = w.step + w.goneAfter
			changed++
		}
	}
	for _, name := range p.Hold {
		if m := w.find(name); m != nil && !m.held {
			m.held, m.stoppedAt = true, w.step+w.goneAfter
			changed++
		}
	}
	for _, name := range p.Update {
		m := w.find(name)
		if m == nil || m.revision == w.update {
			continue
		}
		m.revision, m.upToDateAt = w.update, w.step+1
		if w.kind().budgeted() || m.held {
			m.held = false
			m.readyAt, m.upToDateAt = w.step+w.readyAfter, w.step+w.readyAfter
			if w.broken[w.update] {
				m.readyAt = -1
			}
		}
		changed++
	}
	for _, c := range p.Create {
		name := naming.Member(simSet, c.Index)
		if w.expectations && !c.Surge {
			w.r.expect.expectCreate(w.set.UID, name)
		}
		if w.find(name) != nil {
			exists = append(exists, name)
			continue
		}
		readyAt := w.step + w.readyAfter
		if w.broken[c.Revision] {
			readyAt = -1
		}
		w.members = append(w.members, &simMember{index: c.Index, revision: c.Revision, surge: c.Surge, readyAt: readyAt})
		changed++
	}
	sort.SliceStable(w.members, func(i, j int) bool { return w.members[i].index < w.members[j].index })
	return exists, changed
}

// pendingTime reports whether the world still changes by itself: a member becoming ready or disappearing.
func (w *simWorld) pendingTime() bool {
	for _, m := range w.members {
		if m.deleting() || m.readyAt > w.step || m.upToDateAt > w.step || (m.held && m.stoppedAt > w.step) {
			return true
		}
	}
	return false
}

func (w *simWorld) describeMembers() string {
	parts := make([]string, 0, len(w.members))
	for _, m := range w.members {
		sep, s := ":", ""
		if m.deleting() {
			sep = "~"
		}
		if m.available(w.step) {
			s += "*"
		}
		if !m.upToDate(w.step) {
			s += "?"
		}
		if m.held {
			s += "^"
		}
		if m.surge {
			s += "+surge"
		}
		parts = append(parts, fmt.Sprintf("%d%s%s%s", m.index, sep, m.revision, s))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (w *simWorld) strategy() vmv1alpha1.UpdateStrategyType {
	if us := w.set.Spec.UpdateStrategy; us != nil && us.Type != "" {
		return us.Type
	}
	return vmv1alpha1.RollingUpdateStrategy
}

// floorAndCap are the bounds of the invariants: replicas-maxUnavailable and replicas+maxSurge.
func (w *simWorld) floorAndCap() (floor, limit int) {
	surge, unavailable := setmember.Budget(w.set)
	return setmember.Replicas(w.set) - unavailable, setmember.Replicas(w.set) + surge
}

// identity checks the end state: exactly members 0..replicas-1, no surge member, each at the update revision,
// or at the current revision below the partition.
func (w *simWorld) identity() []string {
	var bad []string
	n := setmember.Replicas(w.set)
	if len(w.members) != n {
		bad = append(bad, fmt.Sprintf("%d members, want %d", len(w.members), n))
	}
	for k, m := range w.members {
		want := w.update
		if k < setmember.Partition(w.set) {
			want = w.set.Status.CurrentRevision
		}
		if m.index != k || m.surge || m.deleting() || m.revision != want || m.held || !m.upToDate(w.step) {
			bad = append(bad, fmt.Sprintf("member %s (index %d, revision %s, surge %t, deleting %t), want %s at %s",
				m.name(), m.index, m.revision, m.surge, m.deleting(), naming.Member(simSet, k), want))
		}
	}
	return bad
}

// simPhase is a spec change followed by steps: a fixed number, or until the set settles or gets stuck.
type simPhase struct {
	// event describes the change, applied before the phase's first step.
	event  string
	change func(w *simWorld)
	// steps > 0 runs exactly that many steps; 0 runs until settled or stuck, and want says which is expected.
	steps int
	want  string
}

// simScenario is one golden file.
type simScenario struct {
	name, title string
	replicas    int
	strategy    *vmv1alpha1.WukongSetUpdateStrategy
	// readyAfter and goneAfter default to 2.
	readyAfter, goneAfter int
	// expectations keeps the reconciler's create and delete expectations from pass to pass, as a running
	// manager does; their 2-minute TTL never passes here. Without it every pass starts with none, which is
	// what they are meant to come down to on a fresh cache.
	expectations bool
	phases       []simPhase
	// knownBug names a planner bug this sequence shows (its violations are in the golden file and reported in
	// the log instead of failing the test); empty once fixed.
	knownBug string
}

const simMaxSteps = 80

func setTemplate(rev string, broken bool) func(w *simWorld) {
	return func(w *simWorld) {
		w.update = rev
		w.known = append(w.known, rev)
		if broken {
			w.broken[rev] = true
		}
	}
}

// changeTemplate moves the set to revision rev, which members reach with an update of the given kind.
func changeTemplate(rev string, kind updateKind) func(w *simWorld) {
	return func(w *simWorld) {
		setTemplate(rev, false)(w)
		w.kinds[rev] = kind
	}
}

func simSpec(sc simScenario) string {
	surge, unavailable := setmember.Budget(&vmv1alpha1.WukongSet{Spec: vmv1alpha1.WukongSetSpec{
		Replicas: ptr.To(int32(sc.replicas)), UpdateStrategy: sc.strategy}})
	s := fmt.Sprintf("replicas %d, ", sc.replicas)
	us := sc.strategy
	switch {
	case us == nil:
		s += "no updateStrategy (defaults)"
	case us.Type == vmv1alpha1.RecreateStrategy:
		s += "Recreate"
	default:
		var f []string
		add := func(name string, v *intstr.IntOrString) {
			if v != nil {
				f = append(f, fmt.Sprintf("%s %s", name, v.String()))
			}
		}
		add("maxUnavailable", us.MaxUnavailable)
		add("maxSurge", us.MaxSurge)
		if ru := us.RollingUpdate; ru != nil {
			add("rollingUpdate.maxUnavailable", ru.MaxUnavailable)
			add("rollingUpdate.maxSurge", ru.MaxSurge)
			if ru.Partition != nil {
				f = append(f, fmt.Sprintf("rollingUpdate.partition %d", *ru.Partition))
			}
		}
		s += "RollingUpdate " + strings.Join(f, ", ")
	}
	return s + fmt.Sprintf(" (resolved: maxUnavailable %d, maxSurge %d)", unavailable, surge)
}

const simNotation = `# notation:
#   step N: [members the planners list] avail=A->A' total=T->T' | what ran | notes
#   i:rev      member s-i at revision rev; * available; ? its VM does not run its spec yet (an update in
#              place is being applied: observed, or restarting); ^ stopped for a Recreate update; "~" instead
#              of ":" being deleted (it still holds its name); +surge a temporary surge member (label
#              vm.novasphere.dev/surge)
#   avail      available members before -> after the step's actions (floor: replicas - maxUnavailable)
#   total      existing members, deleting ones included, before -> after (cap: replicas + maxSurge)
#   scale      the scale pass had work and ran alone: delete [names] create [indices]; "(rollout deferred)"
#              when the rollout plan also had work; "5=exists" a create that met an existing name
#   rollout    the rollout pass ran: update [names updated in place] hold [names stopped first]
#              delete [names] surge [indices]
#   idle       neither pass had work
#   refill=N   scale plan Waiting: members not created because their index is still held, or because of
#              BlockCreate
#   blocked    planRollout's BlockCreate (Recreate)
#   done       planRollout's Done
#   waiting    planRollout's Waiting
#   == a spec change before the next step; -- how a phase ended ("stuck": an idle step, or one whose
#              actions changed nothing, with nothing left to become ready or disappear); !! an invariant violation
#   summary    the available count closest to the floor and the total closest to the cap over all steps
# invariants checked after every step: available >= floor unless the step took nothing available down
# (deleted, or updated in a way that restarts it; not under Recreate); total <= cap unless the step created
# nothing; Recreate starts no member at the new revision while an old one still runs; below the partition
# nothing is deleted or updated by the rollout and every member keeps the current revision; paused: no rollout
# action; no create meets an existing name; a stuck rollout says why and has spent its maxUnavailable budget;
# at a settled end member k is s-k at the update revision, up to date.
`

// simStep is what one step did, for its golden line and the invariants.
type simStep struct {
	pass simPass
	// seen are the members as the planners listed them; current is the currentRevision the pass started from.
	seen, current string
	before, after simCounts
	// hadOld: a member at another revision than the update revision existed when the pass started.
	hadOld bool
	// availableDeleted counts available members the pass took down (deleted, or updated by a restart);
	// oldRunning names the old members whose VM still ran when the pass started; exists are creates that met
	// an existing name; changed counts actions that changed the world.
	availableDeleted int
	oldRunning       []string
	exists           []string
	changed          int
}

// play runs one step: members whose deletion is over disappear, one reconcile pass runs and is applied.
func (w *simWorld) play() simStep {
	w.step++
	var kept []*simMember
	for _, m := range w.members {
		if m.goneAt == 0 || w.step < m.goneAt {
			kept = append(kept, m)
		}
	}
	w.members = kept
	st := simStep{seen: w.describeMembers(), current: w.set.Status.CurrentRevision, before: w.counts()}
	for _, m := range w.members {
		st.hadOld = st.hadOld || m.revision != w.update
	}
	st.pass = w.reconcile()
	for _, name := range st.pass.Delete {
		if m := w.find(name); m != nil && m.available(w.step) {
			st.availableDeleted++
		}
	}
	if w.kind().budgeted() {
		for _, name := range st.pass.Update {
			if m := w.find(name); m != nil && m.available(w.step) {
				st.availableDeleted++
			}
		}
	}
	for _, m := range w.members {
		if m.revision != w.update && !m.surge && (!m.held || !m.stopped(w.step)) {
			st.oldRunning = append(st.oldRunning, m.name())
		}
	}
	st.exists, st.changed = w.apply(st.pass)
	st.after = w.counts()
	return st
}

func (w *simWorld) line(st simStep) string {
	p := st.pass
	line := fmt.Sprintf("step %d: %s avail=%d->%d total=%d->%d | ", w.step, st.seen, st.before.available,
		st.after.available, st.before.total, st.after.total)
	switch p.Pass {
	case passScale:
		line += fmt.Sprintf("scale delete %s create %s", simNames(p.Delete), simCreates(p.Create, st.exists))
		if len(p.Rollout.Delete)+len(p.Rollout.Surge)+len(p.Rollout.Update)+len(p.Rollout.Hold) > 0 {
			line += " (rollout deferred)"
		}
	case passRollout:
		var surge []int
		for _, c := range p.Create {
			surge = append(surge, c.Index)
		}
		line += "rollout"
		if len(p.Update) > 0 {
			line += " update " + simNames(p.Update)
		}
		if len(p.Hold) > 0 {
			line += " hold " + simNames(p.Hold)
		}
		line += fmt.Sprintf(" delete %s surge %s", simNames(p.Delete), simInts(surge))
	default:
		line += "idle"
	}
	if p.Scale.Waiting > 0 {
		line += fmt.Sprintf(" | refill=%d", p.Scale.Waiting)
	}
	if p.Rollout.BlockCreate {
		line += " | blocked"
	}
	if p.Rollout.Done {
		line += " | done"
	}
	if p.Rollout.Waiting != "" {
		line += fmt.Sprintf(" | waiting %q", p.Rollout.Waiting)
	}
	return line
}

// check returns the invariants a step broke.
func (w *simWorld) check(st simStep) []string {
	var bad []string
	violate := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	p := st.pass
	floor, limit := w.floorAndCap()
	recreate := w.strategy() == vmv1alpha1.RecreateStrategy
	if !recreate && st.after.available < floor && st.availableDeleted > 0 {
		violate("available %d < floor %d after taking down %d available members (%s pass)", st.after.available, floor,
			st.availableDeleted, p.Pass)
	}
	if st.after.total > limit && st.after.total > st.before.total {
		violate("total %d > cap %d after creating %s", st.after.total, limit, simCreates(p.Create, st.exists))
	}
	for _, c := range p.Create {
		if recreate && st.hadOld && c.Revision == w.update && w.kind() == updateReprovision {
			violate("Recreate created %s at %s while an old member exists", naming.Member(simSet, c.Index), c.Revision)
		}
		if !c.Surge && c.Index < setmember.Partition(w.set) && c.Revision != st.current {
			violate("created %s below the partition at %s, want %s", naming.Member(simSet, c.Index), c.Revision, st.current)
		}
	}
	if recreate && w.kind() == updateRestart && len(p.Update) > 0 && len(st.oldRunning) > 0 {
		violate("Recreate started %s at %s while old members still run: %s", simNames(p.Update), w.update, simNames(st.oldRunning))
	}
	if p.Pass == passRollout {
		if w.set.Spec.Paused {
			violate("rollout acted while paused")
		}
		for _, name := range append(append([]string{}, p.Delete...), p.Update...) {
			if m := w.find(name); m != nil && !m.surge && m.index < setmember.Partition(w.set) && !recreate {
				violate("rollout changed %s below the partition %d", name, setmember.Partition(w.set))
			}
		}
	}
	for _, m := range w.members {
		if !m.surge && m.index < setmember.Partition(w.set) && m.revision != st.current {
			violate("%s below the partition %d is at %s, want %s", m.name(), setmember.Partition(w.set), m.revision, st.current)
		}
	}
	for _, name := range st.exists {
		m := w.find(name)
		violate("create %s met an existing member (%s, surge %t, deleting %t): AlreadyExists counts as created",
			name, m.revision, m.surge, m.deleting())
	}
	return bad
}

// end decides whether a phase that runs until settled or stuck is over after a step: it returns the line
// that says so (empty: not over) and the invariants of an end that it breaks.
func (w *simWorld) end(ph simPhase, st simStep, n int) (string, []string) {
	var bad []string
	p := st.pass
	allAvailable := true
	for _, m := range w.members {
		allAvailable = allAvailable && m.available(w.step)
	}
	switch {
	case p.Pass == "" && p.Rollout.Done && p.Scale.Waiting == 0 && allAvailable && !w.pendingTime():
		if ph.want != "settled" {
			bad = append(bad, "settled, want "+ph.want)
		}
		for _, b := range w.identity() {
			bad = append(bad, "identity: "+b)
		}
		return fmt.Sprintf("-- settled after %d steps", n), bad
	case st.changed == 0 && !w.pendingTime():
		if ph.want != "stuck" {
			bad = append(bad, "stuck, want "+ph.want)
		}
		if !p.Rollout.Done && p.Rollout.Waiting == "" {
			bad = append(bad, "the rollout is stuck and does not say why")
		}
		floor, _ := w.floorAndCap()
		if w.strategy() != vmv1alpha1.RecreateStrategy && !w.set.Spec.Paused && !p.Rollout.Done && st.after.available > floor {
			bad = append(bad, fmt.Sprintf("the rollout is stuck with %d available members above the floor %d", st.after.available, floor))
		}
		return fmt.Sprintf("-- stuck after %d steps: nothing changes any more", n), bad
	}
	return "", nil
}

// runScenario plays a scenario and returns its golden text and the invariant violations.
func runScenario(sc simScenario) (string, []string) {
	w := &simWorld{
		set: &vmv1alpha1.WukongSet{
			ObjectMeta: metav1.ObjectMeta{Name: simSet, Namespace: "default", UID: "uid-s", Generation: 1},
			Spec:       vmv1alpha1.WukongSetSpec{Replicas: ptr.To(int32(sc.replicas)), UpdateStrategy: sc.strategy},
			Status:     vmv1alpha1.WukongSetStatus{CurrentRevision: "v1", UpdateRevision: "v1"},
		},
		update: "v1", known: []string{"v1"}, broken: map[string]bool{}, kinds: map[string]updateKind{},
		readyAfter: 2, goneAfter: 2, r: &Reconciler{}, expectations: sc.expectations,
	}
	if sc.readyAfter > 0 {
		w.readyAfter = sc.readyAfter
	}
	if sc.goneAfter > 0 {
		w.goneAfter = sc.goneAfter
	}
	for i := range sc.replicas {
		w.members = append(w.members, &simMember{index: i, revision: "v1"})
	}

	var b strings.Builder
	var violations []string
	fmt.Fprintf(&b, "# rollout sequence: %s\n# spec: %s\n", sc.title, simSpec(sc))
	fmt.Fprintf(&b, "# world: a created member is available %d steps later; a deleted member is gone %d steps later; "+
		"the cache is always fresh\n", w.readyAfter, w.goneAfter)
	if sc.expectations {
		b.WriteString("# the reconciler's expectations are kept from pass to pass, as in a running manager " +
			"(their 2-minute TTL never passes here)\n")
	}
	b.WriteString(simNotation)
	fmt.Fprintf(&b, "start: %s, all at v1 and available, currentRevision v1\n", w.describeMembers())
	violate := func(msgs ...string) {
		for _, msg := range msgs {
			msg = fmt.Sprintf("step %d: %s", w.step, msg)
			violations = append(violations, msg)
			b.WriteString("!! " + msg + "\n")
		}
	}

	minAvail, maxTotal := -1, -1
	var minFloor, maxCap int
	recreate := w.strategy() == vmv1alpha1.RecreateStrategy
	for _, ph := range sc.phases {
		fmt.Fprintf(&b, "== %s\n", ph.event)
		ph.change(w)
		for n := 1; ; n++ {
			if w.step == simMaxSteps {
				violate(fmt.Sprintf("no end after %d steps", simMaxSteps))
				return b.String(), violations
			}
			st := w.play()
			b.WriteString(w.line(st) + "\n")
			violate(w.check(st)...)
			floor, limit := w.floorAndCap()
			if !recreate && (minAvail < 0 || st.after.available-floor < minAvail-minFloor) {
				minAvail, minFloor = st.after.available, floor
			}
			if maxTotal < 0 || st.after.total-limit > maxTotal-maxCap {
				maxTotal, maxCap = st.after.total, limit
			}
			if ph.steps > 0 {
				if n == ph.steps {
					break
				}
				continue
			}
			if line, bad := w.end(ph, st, n); line != "" {
				b.WriteString(line + "\n")
				violate(bad...)
				break
			}
		}
	}
	if recreate {
		fmt.Fprintf(&b, "summary: %d steps, max total %d (cap %d)\n", w.step, maxTotal, maxCap)
	} else {
		fmt.Fprintf(&b, "summary: %d steps, min available %d (floor %d), max total %d (cap %d)\n", w.step, minAvail,
			minFloor, maxTotal, maxCap)
	}
	return b.String(), violations
}

func simNames(names []string) string { return "[" + strings.Join(names, " ") + "]" }

func simInts(is []int) string {
	s := make([]string, len(is))
	for i, n := range is {
		s[i] = fmt.Sprint(n)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func simCreates(cs []createSpec, exists []string) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = fmt.Sprint(c.Index)
		for _, e := range exists {
			if e == naming.Member(simSet, c.Index) {
				s[i] += "=exists"
			}
		}
	}
	return "[" + strings.Join(s, " ") + "]"
}

func rollingStrategy(maxUnavailable, maxSurge intstr.IntOrString) *vmv1alpha1.WukongSetUpdateStrategy {
	return &vmv1alpha1.WukongSetUpdateStrategy{Type: vmv1alpha1.RollingUpdateStrategy,
		RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{MaxUnavailable: &maxUnavailable, MaxSurge: &maxSurge}}
}

func rolloutScenarios() []simScenario {
	update := func(rev string) simPhase {
		return simPhase{event: "template changed: update revision " + rev, change: setTemplate(rev, false), want: "settled"}
	}
	updateAs := func(rev string, kind updateKind, what string) simPhase {
		return simPhase{event: fmt.Sprintf("template changed: update revision %s (%s: a %s update)", rev, what, kind),
			change: changeTemplate(rev, kind), want: "settled"}
	}
	reprovision := rollingStrategy(intstr.FromInt32(2), intstr.FromInt32(2))
	reprovision.DiskChangePolicy = vmv1alpha1.DiskChangeReprovision
	return []simScenario{
		{name: "design-6.2", title: "design example 6.2: 10 members, maxUnavailable 2, maxSurge 2 (memory changed: members restart in place)", replicas: 10,
			strategy: rollingStrategy(intstr.FromInt32(2), intstr.FromInt32(2)),
			phases:   []simPhase{update("v2")}},
		{name: "label-only", title: "a label change: every member is updated in place at once, nothing restarts", replicas: 10,
			strategy: rollingStrategy(intstr.FromInt32(2), intstr.FromInt32(2)),
			phases:   []simPhase{updateAs("v2", updateMetadata, "a template label")}},
		{name: "live", title: "tolerations changed: KubeVirt applies them live, nothing restarts, no surge", replicas: 5,
			strategy: rollingStrategy(intstr.FromInt32(0), intstr.FromInt32(1)),
			phases:   []simPhase{updateAs("v2", updateLive, "placement")}},
		{name: "reprovision", title: "a disk image changed with diskChangePolicy Reprovision: members are deleted with their disks and re-created", replicas: 10,
			strategy: reprovision,
			phases:   []simPhase{updateAs("v2", updateReprovision, "disk image")}},

		{name: "zero-downtime", title: "zero downtime: maxUnavailable 0, maxSurge 1", replicas: 5,
			strategy: rollingStrategy(intstr.FromInt32(0), intstr.FromInt32(1)),
			phases:   []simPhase{update("v2")}},
		{name: "zero-downtime-expectations", title: "zero downtime (maxUnavailable 0, maxSurge 1) with the reconciler's expectations kept",
			replicas: 5, strategy: rollingStrategy(intstr.FromInt32(0), intstr.FromInt32(1)),
			phases: []simPhase{update("v2")}, expectations: true},
		{name: "default-strategy", title: "default strategy: maxUnavailable 1, maxSurge 0", replicas: 5,
			phases: []simPhase{update("v2")}},
		{name: "percentages", title: "percentages: maxUnavailable 25% (rounds down to 2), maxSurge 25% (rounds up to 3)",
			replicas: 10, strategy: rollingStrategy(intstr.FromString("25%"), intstr.FromString("25%")),
			phases: []simPhase{update("v2")}},
		{name: "recreate", title: "Recreate: every old member is stopped before any starts at the new revision", replicas: 4,
			strategy: &vmv1alpha1.WukongSetUpdateStrategy{Type: vmv1alpha1.RecreateStrategy},
			phases:   []simPhase{update("v2")}},
		{name: "partition", title: "partition 3 of 5, then partition 0", replicas: 5,
			strategy: &vmv1alpha1.WukongSetUpdateStrategy{Type: vmv1alpha1.RollingUpdateStrategy,
				RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{Partition: ptr.To(int32(3))}},
			phases: []simPhase{
				{event: "template changed: update revision v2 (partition 3: members 0-2 keep v1)", change: setTemplate("v2", false), want: "settled"},
				{event: "partition 0", change: func(w *simWorld) { w.set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To(int32(0)) }, want: "settled"},
			}},
		{name: "paused", title: "paused: nothing rolls out (a member deleted meanwhile comes back at v1), then resumed",
			replicas: 4, strategy: rollingStrategy(intstr.FromInt32(1), intstr.FromInt32(1)),
			phases: []simPhase{
				{event: "paused, template changed: update revision v2; s-2 deleted by hand", change: func(w *simWorld) {
					w.set.Spec.Paused = true
					setTemplate("v2", false)(w)
					w.find("s-2").goneAt = w.step + 1 + w.goneAfter
				}, want: "stuck"},
				{event: "resumed", change: func(w *simWorld) { w.set.Spec.Paused = false }, want: "settled"},
			}},
		{name: "broken-then-fixed", title: "broken template (v2 never becomes available), then fixed by v3", replicas: 5,
			strategy: rollingStrategy(intstr.FromInt32(2), intstr.FromInt32(1)),
			phases: []simPhase{
				{event: "template changed: update revision v2, which never becomes available", change: setTemplate("v2", true), want: "stuck"},
				update("v3"),
			}},
		{name: "scale-during-rollout", title: "scale 5 -> 7 in the middle of a rollout (maxUnavailable 1, maxSurge 1)",
			replicas: 5, strategy: rollingStrategy(intstr.FromInt32(1), intstr.FromInt32(1)),
			phases: []simPhase{
				{event: "template changed: update revision v2", change: setTemplate("v2", false), steps: 3},
				{event: "replicas 5 -> 7", change: func(w *simWorld) { w.set.Spec.Replicas = ptr.To(int32(7)) }, want: "settled"},
			}},
	}
}

// kindScenarios plays Recreate, a partition, a pause and a rollback with each update kind that is not a
// restart (the scenarios above are restarts).
func kindScenarios() []simScenario {
	var out []simScenario
	for _, k := range []struct {
		kind updateKind
		what string
	}{{updateMetadata, "a template label"}, {updateLive, "tolerations"}, {updateReprovision, "a disk image, diskChangePolicy Reprovision"}} {
		rolling := rollingStrategy(intstr.FromInt32(1), intstr.FromInt32(1))
		recreate := &vmv1alpha1.WukongSetUpdateStrategy{Type: vmv1alpha1.RecreateStrategy}
		partitioned := &vmv1alpha1.WukongSetUpdateStrategy{Type: vmv1alpha1.RollingUpdateStrategy,
			RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{Partition: ptr.To(int32(2))}}
		if k.kind == updateReprovision {
			for _, us := range []*vmv1alpha1.WukongSetUpdateStrategy{rolling, recreate, partitioned} {
				us.DiskChangePolicy = vmv1alpha1.DiskChangeReprovision
			}
		}
		change := func(rev string) simPhase {
			return simPhase{event: fmt.Sprintf("template changed: update revision %s (%s: a %s update)", rev, k.what, k.kind),
				change: changeTemplate(rev, k.kind), want: "settled"}
		}
		out = append(out,
			simScenario{name: "recreate-" + k.kind.String(), title: "Recreate, " + k.what, replicas: 4, strategy: recreate,
				phases: []simPhase{change("v2")}},
			simScenario{name: "partition-" + k.kind.String(), title: "partition 2 of 4, then 0, " + k.what, replicas: 4, strategy: partitioned,
				phases: []simPhase{change("v2"), {event: "partition 0", change: func(w *simWorld) {
					w.set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To(int32(0))
				}, want: "settled"}}},
			simScenario{name: "paused-" + k.kind.String(), title: "paused, then resumed, " + k.what, replicas: 4, strategy: rolling,
				phases: []simPhase{
					{event: "paused, template changed: update revision v2", change: func(w *simWorld) {
						w.set.Spec.Paused = true
						changeTemplate("v2", k.kind)(w)
					}, want: "stuck"},
					{event: "resumed", change: func(w *simWorld) { w.set.Spec.Paused = false }, want: "settled"},
				}},
			simScenario{name: "rollback-" + k.kind.String(), title: "rolled out, then rolled back to v1, " + k.what, replicas: 4, strategy: rolling,
				phases: []simPhase{change("v2"), {event: "rollback: the template of v1 again", change: func(w *simWorld) {
					w.update = "v1"
					w.kinds["v1"] = k.kind
				}, want: "settled"}}},
		)
	}
	return out
}

func TestRolloutSequences(t *testing.T) {
	for _, sc := range append(rolloutScenarios(), kindScenarios()...) {
		t.Run(sc.name, func(t *testing.T) {
			got, violations := runScenario(sc)
			path := filepath.Join("testdata", "rollout", sc.name+".golden")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -args -update to create it)", err)
			}
			if string(want) != got {
				t.Errorf("%s differs from the planners' output (run with -args -update to rewrite it, then review the diff):\n%s",
					path, firstDifference(string(want), got))
			}
			switch {
			case len(violations) > 0 && sc.knownBug == "":
				t.Errorf("invariants violated:\n%s", strings.Join(violations, "\n"))
			case len(violations) > 0:
				t.Logf("known bug (%s):\n%s", sc.knownBug, strings.Join(violations, "\n"))
			case sc.knownBug != "":
				t.Errorf("known bug %q no longer shows: clear knownBug and rewrite the golden file", sc.knownBug)
			}
		})
	}
}

func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, wl, gl)
		}
	}
	return ""
}

func TestResolveBudget(t *testing.T) {
	i, s := intstr.FromInt32, intstr.FromString
	p := func(v intstr.IntOrString) *intstr.IntOrString { return &v }
	cases := []struct {
		name                       string
		replicas                   *int32
		strategy                   *vmv1alpha1.WukongSetUpdateStrategy
		wantSurge, wantUnavailable int
	}{
		{"defaults without updateStrategy", ptr.To(int32(5)), nil, 0, 1},
		{"defaults with an empty updateStrategy", ptr.To(int32(5)), &vmv1alpha1.WukongSetUpdateStrategy{}, 0, 1},
		{"Recreate has the defaults", ptr.To(int32(4)), &vmv1alpha1.WukongSetUpdateStrategy{Type: vmv1alpha1.RecreateStrategy}, 0, 1},
		{"ints", ptr.To(int32(10)), rollingStrategy(i(2), i(2)), 2, 2},
		{"ints beyond replicas are kept", ptr.To(int32(3)), rollingStrategy(i(5), i(4)), 4, 5},
		{"25% of 10: surge rounds up, unavailable down", ptr.To(int32(10)), rollingStrategy(s("25%"), s("25%")), 3, 2},
		{"10% of 5: 0.5 up is 1, down is 0", ptr.To(int32(5)), rollingStrategy(s("10%"), s("10%")), 1, 0},
		{"exact percentages", ptr.To(int32(8)), rollingStrategy(s("50%"), s("25%")), 2, 4},
		{"100% unavailable", ptr.To(int32(4)), rollingStrategy(s("100%"), i(0)), 0, 4},
		{"both zero: one may be unavailable", ptr.To(int32(5)), rollingStrategy(i(0), i(0)), 0, 1},
		{"both zero percent: one may be unavailable", ptr.To(int32(5)), rollingStrategy(s("0%"), s("0%")), 0, 1},
		{"both round to zero: one may be unavailable", ptr.To(int32(10)), rollingStrategy(s("5%"), s("0%")), 0, 1},
		{"zero unavailable with surge stays zero", ptr.To(int32(5)), rollingStrategy(i(0), i(1)), 1, 0},
		{"replicas unset is 1", nil, rollingStrategy(s("50%"), s("50%")), 1, 0},
		{"zero replicas", ptr.To(int32(0)), rollingStrategy(s("50%"), s("50%")), 0, 1},
		{"shorthand under updateStrategy", ptr.To(int32(6)),
			&vmv1alpha1.WukongSetUpdateStrategy{MaxUnavailable: p(i(3)), MaxSurge: p(s("50%"))}, 3, 3},
		{"shorthand maxSurge alone keeps the default maxUnavailable", ptr.To(int32(6)),
			&vmv1alpha1.WukongSetUpdateStrategy{MaxSurge: p(i(2))}, 2, 1},
		{"rollingUpdate overrides the shorthand", ptr.To(int32(6)),
			&vmv1alpha1.WukongSetUpdateStrategy{MaxUnavailable: p(i(3)), MaxSurge: p(i(3)),
				RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{MaxUnavailable: p(i(1)), MaxSurge: p(i(0))}}, 0, 1},
		{"shorthand and rollingUpdate fields combine", ptr.To(int32(6)),
			&vmv1alpha1.WukongSetUpdateStrategy{MaxSurge: p(i(2)),
				RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{MaxUnavailable: p(i(0))}}, 2, 0},
		{"rollingUpdate with only a partition keeps the defaults", ptr.To(int32(6)),
			&vmv1alpha1.WukongSetUpdateStrategy{RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{Partition: ptr.To(int32(2))}}, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := &vmv1alpha1.WukongSet{Spec: vmv1alpha1.WukongSetSpec{Replicas: tc.replicas, UpdateStrategy: tc.strategy}}
			surge, unavailable := setmember.Budget(set)
			if surge != tc.wantSurge || unavailable != tc.wantUnavailable {
				t.Fatalf("resolveBudget = surge %d, unavailable %d; want surge %d, unavailable %d", surge, unavailable, tc.wantSurge, tc.wantUnavailable)
			}
		})
	}
}

// rm builds rollout members from a compact form: "3:v1*" is s-3 at v1 and available, "3~v1" is being deleted,
// "?" marks a member whose VM does not run its spec yet, "^" one stopped for Recreate ("^^" stopped and its VM
// no longer running), a "+" suffix a surge member, and "=m", "=l", "=p", "=n" how an old member moves to v2
// (metadata, live, reprovision, none; restart when not given).
func rm(specs ...string) []rolloutMember {
	var out []rolloutMember
	kinds := map[string]updateKind{"m": updateMetadata, "l": updateLive, "p": updateReprovision, "n": updateNone}
	for _, spec := range specs {
		m := rolloutMember{UpToDate: true, Update: updateRestart}
		if k, ok := kinds[spec[len(spec)-1:]]; ok && strings.Contains(spec, "=") {
			m.Update, spec = k, spec[:len(spec)-2]
		}
		for done := false; !done; {
			switch {
			case strings.HasSuffix(spec, "+"):
				m.Surge, spec = true, strings.TrimSuffix(spec, "+")
			case strings.HasSuffix(spec, "*"):
				m.Available, spec = true, strings.TrimSuffix(spec, "*")
			case strings.HasSuffix(spec, "?"):
				m.UpToDate, spec = false, strings.TrimSuffix(spec, "?")
			case strings.HasSuffix(spec, "^^"):
				m.Held, m.Stopped, spec = true, true, strings.TrimSuffix(spec, "^^")
			case strings.HasSuffix(spec, "^"):
				m.Held, spec = true, strings.TrimSuffix(spec, "^")
			default:
				done = true
			}
		}
		sep := strings.IndexAny(spec, ":~")
		m.Deleting = spec[sep] == '~'
		if _, err := fmt.Sscan(spec[:sep], &m.Index); err != nil {
			panic(spec)
		}
		m.Name, m.Revision = naming.Member(simSet, m.Index), spec[sep+1:]
		out = append(out, m)
	}
	return out
}

func TestPlanRollout(t *testing.T) {
	rolling := func(replicas, unavailable, surge int, members ...string) rolloutInput {
		return rolloutInput{Replicas: replicas, Members: rm(members...), UpdateRevision: "v2",
			Strategy: vmv1alpha1.RollingUpdateStrategy, MaxUnavailable: unavailable, MaxSurge: surge}
	}
	recreate := func(members ...string) rolloutInput {
		in := rolling(len(members), 1, 0, members...)
		in.Strategy = vmv1alpha1.RecreateStrategy
		return in
	}
	with := func(in rolloutInput, f func(*rolloutInput)) rolloutInput { f(&in); return in }
	waiting := func(old, available, minimum, unavailable int) string {
		return fmt.Sprintf("%d old members wait: %d members available and up to date, minimum %d (maxUnavailable %d); "+
			"waiting for updated members to become available", old, available, minimum, unavailable)
	}
	cases := []struct {
		name string
		in   rolloutInput
		want rolloutPlan
	}{
		{"up to date", rolling(3, 1, 0, "0:v2*", "1:v2*", "2:v2*"), rolloutPlan{Done: true}},
		{"at the revision but not ready yet is done", rolling(2, 1, 0, "0:v2", "1:v2"), rolloutPlan{Done: true}},
		{"at the revision but the VM not updated yet is not done", rolling(2, 1, 0, "0:v2*?", "1:v2*"),
			rolloutPlan{Waiting: "waiting for 1 updated members to be up to date and available"}},
		{"highest index first, in place", rolling(3, 1, 0, "0:v1*", "1:v1*", "2:v1*"), rolloutPlan{Update: []string{"s-2"}}},
		{"budget of two", rolling(4, 2, 0, "0:v1*", "1:v1*", "2:v1*", "3:v1*"), rolloutPlan{Update: []string{"s-3", "s-2"}}},
		{"unavailable old members go first and cost nothing", rolling(4, 2, 0, "0:v1*", "1:v1", "2:v1*", "3:v1*"),
			rolloutPlan{Update: []string{"s-1", "s-3"}}},
		{"metadata and live updates go at once, whatever the budget",
			rolling(4, 1, 0, "0:v1*=m", "1:v1*=l", "2:v1*=n", "3:v1*"),
			rolloutPlan{Update: []string{"s-0", "s-1", "s-2", "s-3"}}},
		{"a member being restarted spends the budget", rolling(3, 1, 0, "0:v1*", "1:v1*", "2:v2*?"),
			rolloutPlan{Waiting: waiting(2, 2, 2, 1)}},
		{"budget spent by a new member not ready", rolling(3, 1, 0, "0:v1*", "1:v1*", "2:v2"),
			rolloutPlan{Waiting: waiting(2, 2, 2, 1)}},
		{"a deleting member is neither available nor old", rolling(3, 1, 0, "0:v1*", "1:v1*", "2~v1"),
			rolloutPlan{Waiting: waiting(2, 2, 2, 1)}},
		{"reprovisioning deletes within the budget", rolling(3, 1, 0, "0:v1*=p", "1:v1*=p", "2:v1*=p"),
			rolloutPlan{Delete: []string{"s-2"}}},
		{"surge past the set's indices and update within the budget", rolling(4, 1, 2, "0:v1*", "1:v1*", "2:v1*", "3:v1*"),
			rolloutPlan{Surge: []int{4, 5}, Update: []string{"s-3"}}},
		{"no surge for updates that take nothing down", rolling(4, 0, 2, "0:v1*=l", "1:v1*=l", "2:v2*", "3:v2*"),
			rolloutPlan{Update: []string{"s-0", "s-1"}}},
		{"surge capped by the old members left", rolling(4, 0, 3, "0:v2*", "1:v2*", "2:v2*", "3:v1*"),
			rolloutPlan{Surge: []int{4}}},
		{"surge room counts deleting members", rolling(3, 0, 1, "0:v1*", "1:v1*", "2:v1*", "3~v2+"),
			rolloutPlan{Waiting: waiting(3, 3, 3, 0)}},
		{"surge index past a deleting surge member", rolling(3, 0, 2, "0:v1*", "1:v1*", "2:v1*", "3~v2+"),
			rolloutPlan{Surge: []int{4}}},
		{"available surge members lend budget", rolling(3, 0, 1, "0:v1*", "1:v1*", "2:v1*", "3:v2*+"),
			rolloutPlan{Update: []string{"s-2"}}},
		{"surge member not available yet", rolling(3, 0, 1, "0:v1*", "1:v1*", "2:v1*", "3:v2+"),
			rolloutPlan{Waiting: waiting(3, 3, 3, 0)}},
		{"surge members removed when nothing old is left", rolling(2, 0, 2, "0:v2*", "1:v2*", "2:v2*+", "3:v2+"),
			rolloutPlan{Delete: []string{"s-3", "s-2"}}},
		{"surge members stay while an updated member restarts", rolling(2, 0, 1, "0:v2*?", "1:v2*", "2:v2*+"),
			rolloutPlan{Waiting: "waiting for 1 updated members to be up to date and available"}},
		{"a surge member at a stale revision goes", rolling(2, 1, 1, "0:v2*", "1:v2*", "2:v1*+"),
			rolloutPlan{Delete: []string{"s-2"}}},
		{"a deleting surge member does not hold Done back", rolling(2, 1, 1, "0:v2*", "1:v2*", "2~v2+"), rolloutPlan{Done: true}},
		{"partition keeps lower members", with(rolling(5, 1, 0, "0:v1*", "1:v1*", "2:v1*", "3:v2*", "4:v2*"),
			func(in *rolloutInput) { in.Partition = 3 }), rolloutPlan{Done: true}},
		{"partition: only members at or above it are updated", with(rolling(5, 2, 0, "0:v1*", "1:v1*", "2:v1*", "3:v1*", "4:v1*"),
			func(in *rolloutInput) { in.Partition = 4 }), rolloutPlan{Update: []string{"s-4"}}},
		{"paused", with(rolling(2, 1, 1, "0:v1*", "1:v1*"), func(in *rolloutInput) { in.Paused = true }),
			rolloutPlan{Waiting: "the rollout is paused"}},
		{"paused and up to date is done", with(rolling(2, 1, 1, "0:v2*", "1:v2*"), func(in *rolloutInput) { in.Paused = true }),
			rolloutPlan{Waiting: "the rollout is paused", Done: true}},
		{"Recreate stops every old member that restarts; labels go at once",
			recreate("0:v1*", "1:v1", "2:v1*=m", "3:v2*"),
			rolloutPlan{Hold: []string{"s-0", "s-1"}, Update: []string{"s-2"}, Waiting: "Recreate: waiting for 2 old members to stop"}},
		{"Recreate waits until every held member has stopped",
			recreate("0:v1^^", "1:v1*^"),
			rolloutPlan{Waiting: "Recreate: waiting for 1 old members to stop"}},
		{"Recreate updates them all once all are stopped", recreate("0:v1^^", "1:v1^^", "2:v2?"),
			rolloutPlan{Update: []string{"s-0", "s-1"}}},
		{"Recreate ignores the partition",
			with(recreate("0:v1*", "1:v1*"), func(in *rolloutInput) { in.Partition = 1 }),
			rolloutPlan{Hold: []string{"s-0", "s-1"}, Waiting: "Recreate: waiting for 2 old members to stop"}},
		{"Recreate re-provisions by deleting and blocks creates", recreate("0:v1*=p", "1:v1=p", "2:v2*"),
			rolloutPlan{Delete: []string{"s-0", "s-1"}, BlockCreate: true, Waiting: "Recreate: waiting for every re-provisioned member to be gone"}},
		{"Recreate waits for deleting old members", recreate("0~v1", "1~v1"),
			rolloutPlan{BlockCreate: true, Waiting: "Recreate: waiting for every re-provisioned member to be gone"}},
		{"Recreate done once old members are gone and the rest up to date", recreate("0:v2", "1~v2"), rolloutPlan{Done: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := planRollout(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("planRollout = %+v\nwant          %+v", got, tc.want)
			}
		})
	}
}
