package cli_test

import (
	"encoding/json"
	"github.com/novasphere/wukong/internal/setmember"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// createSet creates WukongSet name with replicas members of cpu CPUs, as read back (defaults applied).
func createSet(t *testing.T, ns, name string, replicas int32, mutate ...func(*vmv1alpha1.WukongSet)) *vmv1alpha1.WukongSet {
	t.Helper()
	set := &vmv1alpha1.WukongSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: vmv1alpha1.WukongSetSpec{
			Replicas: ptr.To(replicas),
			Template: vmv1alpha1.WukongTemplateSpec{Spec: vmv1alpha1.WukongSpec{CPU: 2, Memory: resource.MustParse("4Gi")}},
		},
	}
	for _, m := range mutate {
		m(set)
	}
	if err := env.Client.Create(t.Context(), set); err != nil {
		t.Fatalf("create WukongSet %s: %v", name, err)
	}
	return getSet(t, ns, name)
}

func getSet(t *testing.T, ns, name string) *vmv1alpha1.WukongSet {
	t.Helper()
	var set vmv1alpha1.WukongSet
	if err := env.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, &set); err != nil {
		t.Fatalf("get WukongSet %s: %v", name, err)
	}
	return &set
}

// writeStatus plays the controller: it sets the set's status through the status subresource.
func writeStatus(t *testing.T, set *vmv1alpha1.WukongSet, f func(*vmv1alpha1.WukongSetStatus)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var cur vmv1alpha1.WukongSet
		if err := env.Client.Get(t.Context(), client.ObjectKeyFromObject(set), &cur); err != nil {
			return err
		}
		f(&cur.Status)
		return env.Client.Status().Update(t.Context(), &cur)
	})
	if err != nil {
		t.Fatalf("write status of WukongSet %s: %v", set.Name, err)
	}
}

// progress sets the counts a controller reports at the set's current generation.
func progress(gen int64, replicas, updated, available int32) func(*vmv1alpha1.WukongSetStatus) {
	return func(st *vmv1alpha1.WukongSetStatus) {
		st.ObservedGeneration = gen
		st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas = replicas, updated, available, available
	}
}

// kube is the common connection flags for a namespace.
func kube(ns string) []string { return []string{"-n", ns, "--kubeconfig", env.Kubeconfig} }

func rollout(ns string, args ...string) []string {
	return append(append([]string{"rollout"}, args...), kube(ns)...)
}

// TestRolloutStatusSucceeds follows a rollout the test drives step by step, waiting for each of kubectl's
// progress lines before the next step, until it finishes with exit code 0.
func TestRolloutStatusSucceeds(t *testing.T) {
	ns := namespace(t)
	set := createSet(t, ns, "web", 3, func(s *vmv1alpha1.WukongSet) {
		s.Spec.UpdateStrategy = &vmv1alpha1.WukongSetUpdateStrategy{MaxSurge: ptr.To(intstr.FromInt32(1))}
	})
	p := start(t, rollout(ns, "status", "web", "--timeout", "2m")...)
	p.waitForOutput(t, `Waiting for WukongSet "web" spec update to be observed...`)
	steps := []struct {
		status func(*vmv1alpha1.WukongSetStatus)
		line   string
	}{
		{progress(set.Generation, 4, 1, 3), `Waiting for WukongSet "web" rollout to finish: 1 out of 3 new members have been updated...`},
		{progress(set.Generation, 4, 3, 3), `Waiting for WukongSet "web" rollout to finish: 1 old members are pending termination/update...`},
		{progress(set.Generation, 3, 3, 2), `Waiting for WukongSet "web" rollout to finish: 2 of 3 updated members are available...`},
		{progress(set.Generation, 3, 3, 3), `WukongSet "web" successfully rolled out`},
	}
	for _, step := range steps {
		writeStatus(t, set, step.status)
		p.waitForOutput(t, step.line)
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d; want 0", code)
	}
	want := `Waiting for WukongSet "web" spec update to be observed...` + "\n"
	for _, step := range steps {
		want += step.line + "\n"
	}
	if got := p.stdout.String(); got != want {
		t.Errorf("stdout:\n%s\nwant (each state once):\n%s", got, want)
	}
}

// TestRolloutStatusStalls: the set reports Progressing=False ProgressDeadlineExceeded while status waits:
// exit code 1 and the controller's message.
func TestRolloutStatusStalls(t *testing.T) {
	ns := namespace(t)
	set := createSet(t, ns, "web", 3)
	writeStatus(t, set, progress(set.Generation, 3, 1, 3))
	p := start(t, rollout(ns, "status", "web")...)
	p.waitForOutput(t, "1 out of 3 new members have been updated...")
	writeStatus(t, set, func(st *vmv1alpha1.WukongSetStatus) {
		st.Conditions = []metav1.Condition{{Type: vmv1alpha1.SetProgressing, Status: metav1.ConditionFalse,
			Reason: vmv1alpha1.ReasonProgressDeadline, Message: "no progress for 10m0s: 1 of 3 members updated, 3 ready.",
			LastTransitionTime: metav1.Now(), ObservedGeneration: set.Generation}}
	})
	code := p.wait(t)
	want := `wukong rollout status: WukongSet "web" exceeded its progress deadline: no progress for 10m0s: 1 of 3 members updated, 3 ready.`
	if code != 1 || !strings.Contains(p.stderr.String(), want) {
		t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, p.stderr, want)
	}
	// Once stalled, status fails at once, with or without --watch.
	for _, watch := range []string{"--watch=true", "--watch=false"} {
		if code, _, stderr := run(t, rollout(ns, "status", "web", watch)...); code != 1 || !strings.Contains(stderr, "exceeded its progress deadline") {
			t.Errorf("%s on a stalled set: exit %d, stderr %q", watch, code, stderr)
		}
	}
}

// TestRolloutStatusTimeout: --timeout or SIGINT ends the wait with exit code 1 and says so.
func TestRolloutStatusTimeout(t *testing.T) {
	ns := namespace(t)
	set := createSet(t, ns, "web", 3)
	writeStatus(t, set, progress(set.Generation, 3, 2, 3))
	code, stdout, stderr := run(t, rollout(ns, "status", "web", "--timeout", "2s")...)
	want := `timed out after 2s waiting for WukongSet "web" rollout to finish (last status: Waiting for WukongSet "web" rollout to finish: 2 out of 3 new members have been updated...)`
	if code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stdout, "2 out of 3 new members") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, want)
	}
	// Ctrl-C is not a finished rollout either.
	p := start(t, rollout(ns, "status", "web")...)
	p.waitForOutput(t, "2 out of 3 new members")
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 1 || !strings.Contains(p.stderr.String(), "wukong rollout status: interrupted") {
		t.Errorf("after SIGINT: exit %d, stderr %q; want exit 1 and interrupted", code, p.stderr)
	}
}

// TestRolloutStatusOnce covers --watch=false, a paused set, a partition and a set that does not exist.
func TestRolloutStatusOnce(t *testing.T) {
	ns := namespace(t)
	web := createSet(t, ns, "web", 3)
	writeStatus(t, web, progress(web.Generation, 3, 1, 3))
	code, stdout, _ := run(t, rollout(ns, "status", "web", "--watch=false")...)
	if code != 0 || stdout != `Waiting for WukongSet "web" rollout to finish: 1 out of 3 new members have been updated...`+"\n" {
		t.Errorf("--watch=false: exit %d, stdout %q; want exit 0 and the current state", code, stdout)
	}

	paused := createSet(t, ns, "paused", 3, func(s *vmv1alpha1.WukongSet) { s.Spec.Paused = true })
	writeStatus(t, paused, progress(paused.Generation, 3, 1, 3))
	_, stdout, _ = run(t, rollout(ns, "status", "wukongset/paused", "-w=false")...)
	if !strings.Contains(stdout, `WukongSet "paused" rollout is paused (spec.paused): 1 out of 3 new members have been updated`) {
		t.Errorf("paused set: stdout %q", stdout)
	}

	canary := createSet(t, ns, "canary", 5, func(s *vmv1alpha1.WukongSet) {
		s.Spec.UpdateStrategy = &vmv1alpha1.WukongSetUpdateStrategy{RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{Partition: ptr.To(int32(3))}}
	})
	writeStatus(t, canary, progress(canary.Generation, 5, 1, 5))
	p := start(t, rollout(ns, "status", "canary")...)
	p.waitForOutput(t, "1 out of 2 new members have been updated (partition 3: members from index 3)...")
	writeStatus(t, canary, progress(canary.Generation, 5, 2, 5))
	if code := p.wait(t); code != 0 || !strings.Contains(p.stdout.String(), `WukongSet "canary" successfully rolled out to the partition: 2 new members have been updated, members below index 3 keep their revision`) {
		t.Errorf("partition: exit %d, stdout %q", code, p.stdout)
	}

	for _, sub := range []string{"status", "history", "undo", "pause", "resume"} {
		code, _, stderr := run(t, rollout(ns, sub, "nope")...)
		if want := `WukongSet "nope" not found in namespace "` + ns + `"`; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("rollout %s of a missing set: exit %d, stderr %q; want exit 1 and %q", sub, code, stderr, want)
		}
	}
}

// storeRevision creates the ControllerRevision the controller stores for tmpl, with its hash label, owner
// reference and canonical JSON data.
func storeRevision(t *testing.T, set *vmv1alpha1.WukongSet, number int64, tmpl vmv1alpha1.WukongTemplateSpec, cause string) string {
	t.Helper()
	withTemplate := set.DeepCopy()
	withTemplate.Spec.Template = tmpl
	hash := setmember.Revision(withTemplate)
	raw, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	if raw, err = json.Marshal(generic); err != nil {
		t.Fatal(err)
	}
	cr := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: set.Namespace, Name: set.Name + "-" + hash,
			Labels: map[string]string{vmv1alpha1.LabelSet: set.Name, vmv1alpha1.LabelRevision: hash},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: vmv1alpha1.GroupVersion.String(), Kind: "WukongSet",
				Name: set.Name, UID: set.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
		},
		Data:     runtime.RawExtension{Raw: raw},
		Revision: number,
	}
	if cause != "" {
		cr.Annotations = map[string]string{"kubernetes.io/change-cause": cause}
	}
	if err := env.Client.Create(t.Context(), cr); err != nil {
		t.Fatalf("create ControllerRevision %s: %v", cr.Name, err)
	}
	return hash
}

func withCPU(tmpl vmv1alpha1.WukongTemplateSpec, cpu int32) vmv1alpha1.WukongTemplateSpec {
	tmpl.Spec.CPU = cpu
	return tmpl
}

// TestRolloutHistoryAndUndo stores three revisions (the current template is the third), one revision of a
// foreign owner, and checks the history table, one revision's template, and the annotation undo writes.
func TestRolloutHistoryAndUndo(t *testing.T) {
	ns := namespace(t)
	set := createSet(t, ns, "web", 3)
	h1 := storeRevision(t, set, 1, withCPU(set.Spec.Template, 1), "")
	h2 := storeRevision(t, set, 2, withCPU(set.Spec.Template, 4), "kubectl edit wukongset web: 4 CPUs")
	h3 := storeRevision(t, set, 3, set.Spec.Template, "")
	other := createSet(t, ns, "web-other", 1)
	storeRevision(t, &vmv1alpha1.WukongSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", UID: other.UID}}, 7, withCPU(set.Spec.Template, 16), "")

	code, stdout, stderr := run(t, rollout(ns, "history", "web")...)
	want := "WukongSet/web\n" +
		"REVISION  HASH        CHANGE-CAUSE\n" +
		"1         " + h1 + "  <none>\n" +
		"2         " + h2 + "  kubectl edit wukongset web: 4 CPUs\n" +
		"3         " + h3 + "  <none>\n"
	if code != 0 || stdout != want {
		t.Errorf("history: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, stdout, want)
	}

	code, stdout, stderr = run(t, rollout(ns, "history", "web", "--revision", "2")...)
	var tmpl vmv1alpha1.WukongTemplateSpec
	if code != 0 || !strings.HasPrefix(stdout, "# WukongSet/web revision 2 ("+h2+")\n") {
		t.Errorf("history --revision 2: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	} else if err := yaml.UnmarshalStrict([]byte(stdout), &tmpl); err != nil || tmpl.Spec.CPU != 4 || tmpl.Spec.Memory.String() != "4Gi" {
		t.Errorf("history --revision 2 prints %+v (%v); want the template with 4 CPUs", tmpl, err)
	}
	if code, _, stderr := run(t, rollout(ns, "history", "web", "--revision", "7")...); code != 1 || !strings.Contains(stderr, `unable to find revision 7 of WukongSet "web" (revisions: 1, 2, 3)`) {
		t.Errorf("history --revision 7: exit %d, stderr %q", code, stderr)
	}
	// kubectl's kubeconfig loading: $KUBECONFIG without --kubeconfig.
	p := startCmd(t, []string{"KUBECONFIG=" + env.Kubeconfig}, bin, "rollout", "history", "web", "-n", ns)
	if code := p.wait(t); code != 0 || p.stdout.String() != want {
		t.Errorf("history with $KUBECONFIG: exit %d, stdout %q, stderr %q", code, p.stdout, p.stderr)
	}

	rollbackTo := func() string {
		return getSet(t, ns, "web").Annotations[vmv1alpha1.AnnotationRollbackTo]
	}
	clearAnnotation := func() {
		s := getSet(t, ns, "web")
		delete(s.Annotations, vmv1alpha1.AnnotationRollbackTo)
		if err := env.Client.Update(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr = run(t, rollout(ns, "undo", "web")...)
	if code != 0 || stdout != "WukongSet/web rolled back\n" || rollbackTo() != h2 {
		t.Errorf("undo: exit %d, stdout %q, stderr %q, annotation %q; want the previous revision %s", code, stdout, stderr, rollbackTo(), h2)
	}
	clearAnnotation()
	code, stdout, _ = run(t, rollout(ns, "undo", "web", "--to-revision", "1")...)
	if code != 0 || stdout != "WukongSet/web rolled back\n" || rollbackTo() != h1 {
		t.Errorf("undo --to-revision 1: exit %d, stdout %q, annotation %q; want %s", code, stdout, rollbackTo(), h1)
	}
	clearAnnotation()
	code, stdout, _ = run(t, rollout(ns, "undo", "web", "--to-revision", "3")...)
	if code != 0 || stdout != "WukongSet/web skipped rollback (current template already matches revision 3)\n" || rollbackTo() != "" {
		t.Errorf("undo to the current revision: exit %d, stdout %q, annotation %q; want a skip", code, stdout, rollbackTo())
	}
	if code, _, stderr := run(t, rollout(ns, "undo", "web", "--to-revision", "9")...); code != 1 || !strings.Contains(stderr, "unable to find revision 9 in history (revisions: 1, 2, 3)") {
		t.Errorf("undo --to-revision 9: exit %d, stderr %q", code, stderr)
	}
	if code, stdout, _ := run(t, rollout(ns, "pause", "web")...); code != 0 || stdout != "WukongSet/web paused\n" {
		t.Fatalf("pause: exit %d, stdout %q", code, stdout)
	}
	code, _, stderr = run(t, rollout(ns, "undo", "web")...)
	if want := `you cannot roll back a paused WukongSet; resume it first with "wukong rollout resume web" and try again`; code != 1 || !strings.Contains(stderr, want) || rollbackTo() != "" {
		t.Errorf("undo of a paused set: exit %d, stderr %q, annotation %q; want exit 1 and %q", code, stderr, rollbackTo(), want)
	}

	fresh := createSet(t, ns, "fresh", 1)
	if code, stdout, _ := run(t, rollout(ns, "history", "fresh")...); code != 0 || stdout != "No rollout history found.\n" {
		t.Errorf("history without revisions: exit %d, stdout %q", code, stdout)
	}
	if code, _, stderr := run(t, rollout(ns, "undo", fresh.Name)...); code != 1 || !strings.Contains(stderr, `WukongSet "fresh": no rollout history found`) {
		t.Errorf("undo without revisions: exit %d, stderr %q", code, stderr)
	}
}

// TestRolloutPauseResume: pause and resume set spec.paused, and say so when there is nothing to do.
func TestRolloutPauseResume(t *testing.T) {
	ns := namespace(t)
	createSet(t, ns, "web", 2)
	steps := []struct {
		cmd, out string
		paused   bool
	}{
		{"resume", "WukongSet/web already resumed\n", false},
		{"pause", "WukongSet/web paused\n", true},
		{"pause", "WukongSet/web already paused\n", true},
		{"resume", "WukongSet/web resumed\n", false},
	}
	for _, step := range steps {
		code, stdout, stderr := run(t, rollout(ns, step.cmd, "web")...)
		if code != 0 || stdout != step.out || getSet(t, ns, "web").Spec.Paused != step.paused {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q, spec.paused %v; want %q and paused %v",
				step.cmd, code, stdout, stderr, getSet(t, ns, "web").Spec.Paused, step.out, step.paused)
		}
	}
	// The merge patch touches spec.paused only.
	if set := getSet(t, ns, "web"); *set.Spec.Replicas != 2 || set.Spec.Template.Spec.CPU != 2 {
		t.Errorf("spec after pause and resume: %+v", set.Spec)
	}
}

// TestKubectlPlugin runs the binary as kubectl runs it: kubectl-wukong on $PATH, "kubectl wukong ...".
func TestKubectlPlugin(t *testing.T) {
	ns := namespace(t)
	set := createSet(t, ns, "web", 2)
	writeStatus(t, set, progress(set.Generation, 2, 2, 2))
	kubectl := filepath.Join(env.Assets, "kubectl")
	path := []string{"PATH=" + pluginDir + string(os.PathListSeparator) + os.Getenv("PATH")}

	p := startCmd(t, path, kubectl, append([]string{"wukong", "rollout", "status", "web"}, kube(ns)...)...)
	if code := p.wait(t); code != 0 || p.stdout.String() != `WukongSet "web" successfully rolled out`+"\n" {
		t.Errorf("kubectl wukong rollout status: exit %d, stdout %q, stderr %q", code, p.stdout, p.stderr)
	}
	p = startCmd(t, path, kubectl, append([]string{"wukong", "rollout", "pause", "web"}, kube(ns)...)...)
	if code := p.wait(t); code != 0 || p.stdout.String() != "WukongSet/web paused\n" || !getSet(t, ns, "web").Spec.Paused {
		t.Errorf("kubectl wukong rollout pause: exit %d, stdout %q, stderr %q", code, p.stdout, p.stderr)
	}
	p = startCmd(t, path, kubectl, append([]string{"wukong", "rollout", "undo", "web"}, kube(ns)...)...)
	if code := p.wait(t); code != 1 || !strings.Contains(p.stderr.String(), `kubectl wukong rollout undo: you cannot roll back a paused WukongSet; resume it first with "kubectl wukong rollout resume web"`) {
		t.Errorf("kubectl wukong rollout undo of a paused set: exit %d, stderr %q; want the plugin's name in the error and hint", code, p.stderr)
	}
	p = startCmd(t, path, kubectl, "wukong", "rollout", "status", "--help")
	if code := p.wait(t); code != 0 || !strings.Contains(p.stdout.String(), "Usage:\n  kubectl wukong rollout status SET [flags]") ||
		!strings.Contains(p.stdout.String(), "  kubectl wukong rollout status web -n prod") {
		t.Errorf("kubectl wukong rollout status --help: exit %d, stdout:\n%s", code, p.stdout)
	}
	p = startCmd(t, path, kubectl, "wukong", "version", "--short")
	if code := p.wait(t); code != 0 || p.stdout.String() != testVersion+"\n" {
		t.Errorf("kubectl wukong version --short: exit %d, stdout %q, stderr %q", code, p.stdout, p.stderr)
	}
}
