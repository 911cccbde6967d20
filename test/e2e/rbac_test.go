package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/util/retry"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/webhook"
	"github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// notRequested are permissions the manager needs that no request of it shows in an audit log, each with
// why. Anything else granted and never used fails TestLeastPrivilege.
var notRequested = map[string]string{
	// OwnerReferencesPermissionEnforcement authorizes, inside admission, an owner reference with
	// blockOwnerDeletion as update on the owner's finalizers; every child, member and revision has one.
	"update vm.novasphere.dev/wukongs/finalizers":    "blockOwnerDeletion on a Wukong's children (admission check)",
	"update vm.novasphere.dev/wukongsets/finalizers": "blockOwnerDeletion on a set's members and revisions (admission check)",
	// The same plugin authorizes any change of an existing object's ownerReferences as delete on that object:
	// releasing a retained disk from its member and reattaching it patch its ownerReferences. (The set also
	// deletes golden DataVolumes of imagePolicy ImportOnce, which this scenario does not use.)
	"delete cdi.kubevirt.io/datavolumes": "ownerReferences changed by retention's release and reattach (admission check)",
	// apply.Ensure reads an object live only when its create answers AlreadyExists although the cache had no
	// such object: a stale cache, a race a test cannot bring about on demand.
	"get cdi.kubevirt.io/datavolumes":                    "apply.Ensure's live read after AlreadyExists with a stale cache",
	"get k8s.cni.cncf.io/network-attachment-definitions": "apply.Ensure's live read after AlreadyExists with a stale cache",
	// client-go's events recorder patches an event into a series when the same event (same reason and
	// action about the same object at the same resourceVersion) repeats within minutes. The set's events
	// are few and each names a new resourceVersion of the set, so no scenario here repeats one on demand.
	"patch events.k8s.io/events": "the events recorder's series of a repeated event",
}

// auditSet is the set the scenario drives: every kind of child (cloud-init Secret from a referenced
// password, a bridge attachment, DataVolumes), disk retention, autohealing and a short revision history.
const auditSet = `
apiVersion: vm.novasphere.dev/v1alpha1
kind: WukongSet
metadata:
  name: audit
spec:
  replicas: 2
  revisionHistoryLimit: 1
  scaleStrategy:
    diskRetention: Retain
  autohealing:
    failedFor: 1s
    maxConcurrent: 1
  template:
    metadata:
      labels:
        app: audit
    spec:
      cpu: 1
      memory: 1Gi
      disks:
      - name: system
        size: 1Gi
        image: docker://quay.io/kubevirt/cirros:latest
      networks:
      - name: lan
        type: bridge
        bridgeName: br1
        vlanId: 100
      user:
        name: ops
        passwordSecretRef:
          name: ops-password
`

// TestLeastPrivilege runs the built manager as its ServiceAccount, with OwnerReferencesPermissionEnforcement
// on and an audit log of the account's requests, through scenarios that reach every code path needing a
// permission: create a set, update it in place (labels, then a restart, an attachment change and new
// cloud-init data), put an old template back, a rollback, revision pruning, a DataVolume's label repaired,
// scale in through the scale subresource with disk retention and out again with the disks reattached,
// autohealing with a VM re-created, a member deleted, the admission webhook's self-registration over a stale
// configuration and from nothing, a metrics scrape, leader election. It fails on any request refused, and on
// any permission of config/rbac the manager never used (notRequested lists the exceptions).
func TestLeastPrivilege(t *testing.T) {
	user, err := testenv.ManagerUser()
	if err != nil {
		t.Fatal(err)
	}
	env, err := testenv.StartWith(testenv.Options{AuditUsers: []string{user}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	id := cluster(t, env)
	dir := t.TempDir()
	wukong := build(t, dir, "./cmd/wukong")
	simBin := build(t, dir, "./test/sim/cmd/kubevirt-sim")
	metricsAddr, probeAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	start(t, filepath.Join(dir, "sim.log"), simBin, "--kubeconfig", env.Kubeconfig, "--import-duration", "200ms", "--boot-duration", "200ms")
	// A webhook configuration left by an earlier manager (another URL, no CA; failures ignored so that nothing
	// waits on it): the manager's self-registration rewrites it, as the installed configuration's CA bundle
	// is rewritten in a cluster (an update).
	staleURL := "https://127.0.0.1:1/stale"
	stale := webhook.Configuration(admissionregistrationv1.WebhookClientConfig{URL: &staleURL})
	for i := range stale.Webhooks {
		ignore := admissionregistrationv1.Ignore
		stale.Webhooks[i].FailurePolicy = &ignore
	}
	if err := env.Client.Create(t.Context(), stale); err != nil {
		t.Fatal(err)
	}
	// Metrics served as deployed: HTTPS, each scrape checked with a TokenReview and a SubjectAccessReview.
	runManager := func(log string) *exec.Cmd {
		t.Helper()
		cmd := start(t, filepath.Join(dir, log), wukong, managerArgs(id,
			"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr)...)
		waitReady(t, probeAddr)
		return cmd
	}
	// SIGTERM: the manager releases its lease (an update), removes its webhook configuration and exits.
	stop := func(cmd *exec.Cmd) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("manager exited with %v", err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			raw, _ := os.ReadFile(filepath.Join(dir, "manager.log"))
			t.Logf("manager log (end):\n%s", tail(string(raw), 4000))
		}
	})
	mgr := runManager("manager.log")

	runAuditScenario(t, env)
	scrapeMetrics(t, env, metricsAddr)
	stop(mgr)
	// A second manager finds no webhook configuration and creates it.
	second := runManager("manager-2.log")
	eventually(t, 30*time.Second, func() error {
		return env.Client.Get(t.Context(), client.ObjectKey{Name: webhook.ConfigurationName}, &admissionregistrationv1.ValidatingWebhookConfiguration{})
	})
	stop(second)

	used, refused := readAudit(t, env.AuditLog, user)
	// An informer lists with a streaming watch (client-go v0.37's WatchListClient) and falls back to a LIST
	// where the apiserver does not stream lists: a resource watched needs list as well.
	for k, nss := range used {
		if verb, res, _ := strings.Cut(k, " "); verb == "watch" {
			used["list "+res] = nss
		}
	}
	for _, r := range refused {
		t.Errorf("refused (403): %s", r)
	}
	granted := grantedTo(t, env, id)
	for _, g := range granted {
		if g.usedBy(used) {
			continue
		}
		if _, ok := notRequested[g.key]; ok {
			continue
		}
		t.Errorf("%s grants %s%s but the manager never used it: remove it from the role (or, if the code needs it, "+
			"make a scenario here reach that code)", g.role, g.key, g.where())
	}
	for key := range notRequested {
		if !slices.ContainsFunc(granted, func(g grant) bool { return g.key == key }) {
			t.Errorf("notRequested lists %s, which no role grants: remove the entry", key)
		}
	}
	if t.Failed() {
		var keys []string
		for k, nss := range used {
			keys = append(keys, fmt.Sprintf("%s %v", k, nss))
		}
		sort.Strings(keys)
		t.Logf("requests the manager made:\n  %s", strings.Join(keys, "\n  "))
	}
}

// runAuditScenario drives the set through every change the manager has code for.
func runAuditScenario(t *testing.T, env *testenv.Env) {
	ctx := t.Context()
	c := env.Client
	ns, err := env.Namespace(ctx, "audit")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ops-password"},
		StringData: map[string]string{"passwordHash": "$6$rounds=4096$salt$hash"},
	}); err != nil {
		t.Fatal(err)
	}
	set := &vmv1alpha1.WukongSet{}
	if err := yaml.UnmarshalStrict([]byte(auditSet), set); err != nil {
		t.Fatal(err)
	}
	set.Namespace = ns
	key := client.ObjectKeyFromObject(set)
	if err := c.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	step := func(what string, patch string) {
		t.Helper()
		if patch != "" {
			if err := c.Patch(ctx, &vmv1alpha1.WukongSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "audit"}},
				client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		waitRolledOut(t, c, key, what)
	}
	step("create", "")
	// In place: labels (Wukongs, VMs, instances, DataVolumes, attachments, Secrets patched or updated).
	step("label change", `{"spec":{"template":{"metadata":{"labels":{"app":"audit","tier":"web"}}}}}`)
	// A restart (a state change request in the VM's status), an attachment change and new cloud-init data
	// (the Secret updated); the oldest revision is pruned (revisionHistoryLimit 1).
	step("cpu, vlan and user change", `{"spec":{"template":{"spec":{"cpu":2,`+
		`"networks":[{"name":"lan","type":"bridge","bridgeName":"br1","vlanId":200}],`+
		`"user":{"name":"admin","passwordSecretRef":{"name":"ops-password"}}}}}}`)
	// The previous template put back: its revision becomes the newest again.
	step("old template back", `{"spec":{"template":{"spec":{"cpu":1,`+
		`"networks":[{"name":"lan","type":"bridge","bridgeName":"br1","vlanId":100}],`+
		`"user":{"name":"ops","passwordSecretRef":{"name":"ops-password"}}}}}}`)
	// A DataVolume whose label someone removed gets it back (an update).
	dv := &cdiv1.DataVolume{}
	var dvs cdiv1.DataVolumeList
	if err := c.List(ctx, &dvs, client.InNamespace(ns), client.MatchingLabels{vmv1alpha1.LabelWukong: "audit-0"}); err != nil || len(dvs.Items) == 0 {
		t.Fatalf("DataVolumes of audit-0: %d, %v", len(dvs.Items), err)
	}
	*dv = dvs.Items[0]
	if err := c.Patch(ctx, dv, client.RawPatch(types.MergePatchType,
		[]byte(fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, vmv1alpha1.LabelWukong)))); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, func() error {
		got := &cdiv1.DataVolume{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(dv), got); err != nil {
			return err
		}
		if got.Labels[vmv1alpha1.LabelWukong] != "audit-0" {
			return fmt.Errorf("DataVolume %s labels %v", got.Name, got.Labels)
		}
		return nil
	})
	// Someone edits the set's shared attachment: the members put its configuration back (an update).
	var nads nadv1.NetworkAttachmentDefinitionList
	if err := c.List(ctx, &nads, client.InNamespace(ns)); err != nil || len(nads.Items) == 0 {
		t.Fatalf("attachments in %s: %d, %v", ns, len(nads.Items), err)
	}
	nad := nads.Items[0].DeepCopy()
	want := nad.Spec.Config
	if err := c.Patch(ctx, nad, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"config":"{\"cniVersion\":\"0.3.1\",\"type\":\"bridge\",\"bridge\":\"edited\"}"}}`))); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, func() error {
		got := &nadv1.NetworkAttachmentDefinition{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(nad), got); err != nil {
			return err
		}
		if got.Spec.Config != want {
			return fmt.Errorf("attachment %s config %s, want %s put back", got.Name, got.Spec.Config, want)
		}
		return nil
	})
	// Rollbacks to a revision that does not exist: the set's annotation is removed (an update), a Warning
	// event each time.
	for range 2 {
		step("rollback", fmt.Sprintf(`{"metadata":{"annotations":{%q:"audit-none"}}}`, vmv1alpha1.AnnotationRollbackTo))
		eventually(t, 30*time.Second, func() error {
			got := &vmv1alpha1.WukongSet{}
			if err := c.Get(ctx, key, got); err != nil {
				return err
			}
			if _, ok := got.Annotations[vmv1alpha1.AnnotationRollbackTo]; ok {
				return fmt.Errorf("rollback annotation still there")
			}
			return nil
		})
	}
	// Scale in with disk retention (the member's DataVolume released), through the scale subresource as
	// `kubectl scale` does (the admission webhook reads the set), then out again (the disk reattached).
	// The controller writes the set's status meanwhile: a conflict is retried, as kubectl scale does.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		scale := &autoscalingv1.Scale{}
		if err := c.SubResource("scale").Get(ctx, set, scale); err != nil {
			return err
		}
		scale.Spec.Replicas = 1
		return c.SubResource("scale").Update(ctx, set, client.WithSubResourceBody(scale))
	}); err != nil {
		t.Fatalf("scale to 1: %v", err)
	}
	step("scale in", "")
	eventually(t, 60*time.Second, func() error {
		var dvs cdiv1.DataVolumeList
		if err := c.List(ctx, &dvs, client.InNamespace(ns), client.MatchingLabels{vmv1alpha1.LabelRetained: "true"}); err != nil {
			return err
		}
		if len(dvs.Items) == 0 {
			return fmt.Errorf("no retained DataVolume")
		}
		return nil
	})
	step("scale out", `{"spec":{"replicas":2}}`)
	// Autohealing: a crashing member is restarted, then its VM re-created.
	member := &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "audit-1"}}
	annotate := func(value string) {
		t.Helper()
		v, _ := json.Marshal(value)
		if value == "" {
			v = []byte("null")
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%s}}}`, sim.AnnotationCrash, v)
		if err := c.Patch(ctx, member, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			t.Fatal(err)
		}
	}
	annotate("guest kernel panic")
	eventually(t, 120*time.Second, func() error {
		vm := &kubevirtv1.VirtualMachine{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(member), vm); err != nil {
			return err
		}
		if !strings.HasPrefix(vm.Annotations[vmv1alpha1.AnnotationHeal], "recreate/") {
			return fmt.Errorf("VM %s not re-created yet (heal %q)", vm.Name, vm.Annotations[vmv1alpha1.AnnotationHeal])
		}
		return nil
	})
	annotate("")
	waitRolledOut(t, c, key, "healed")
	// A Wukong cloning its disk from a DataSource: the manager reads the DataSource and its PVC live (get)
	// before it writes the DataVolume. The PVC need not exist (CDI keeps such a clone pending).
	if err := c.Create(ctx, &cdiv1.DataSource{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "golden"},
		Spec: cdiv1.DataSourceSpec{Source: cdiv1.DataSourceSource{
			PVC: &cdiv1.DataVolumeSourcePVC{Namespace: ns, Name: "golden-disk"},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	clone := &vmv1alpha1.Wukong{}
	if err := yaml.UnmarshalStrict([]byte(`
metadata: {name: clone}
spec:
  cpu: 1
  memory: 1Gi
  disks:
  - {name: system, size: 1Gi, image: "datasource://NAMESPACE/golden"}
`), clone); err != nil {
		t.Fatal(err)
	}
	clone.Namespace = ns
	clone.Spec.Disks[0].Image = strings.Replace(clone.Spec.Disks[0].Image, "NAMESPACE", ns, 1)
	if err := c.Create(ctx, clone); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, func() error {
		var dvs cdiv1.DataVolumeList
		if err := c.List(ctx, &dvs, client.InNamespace(ns), client.MatchingLabels{vmv1alpha1.LabelWukong: "clone"}); err != nil {
			return err
		}
		if len(dvs.Items) == 0 {
			return fmt.Errorf("no DataVolume cloned from DataSource golden yet")
		}
		return nil
	})
	// A member deleted by someone: the set creates it again.
	if err := c.Delete(ctx, &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "audit-0"}}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, c, key, "member deleted")
}

// waitRolledOut waits until the set's status is for its spec: every member exists, runs the current
// template and is ready.
func waitRolledOut(t *testing.T, c client.Client, key client.ObjectKey, what string) {
	t.Helper()
	eventually(t, 120*time.Second, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := c.Get(context.Background(), key, got); err != nil {
			return err
		}
		want := int32(1)
		if got.Spec.Replicas != nil {
			want = *got.Spec.Replicas
		}
		s := got.Status
		if s.ObservedGeneration < got.Generation || s.Replicas != want || s.UpdatedReplicas != want || s.ReadyReplicas != want {
			return fmt.Errorf("%s: generation %d/%d, %d members, %d updated, %d ready, want %d; conditions %+v",
				what, s.ObservedGeneration, got.Generation, s.Replicas, s.UpdatedReplicas, s.ReadyReplicas, want, s.Conditions)
		}
		return nil
	})
}

// scrapeMetrics scrapes the manager's HTTPS metrics endpoint as Prometheus does: with the token of an
// account bound to config/rbac's metrics-reader ClusterRole.
func scrapeMetrics(t *testing.T, env *testenv.Env, addr string) {
	ctx := t.Context()
	c := env.Client
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "prometheus"}}
	if err := c.Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-wukong-metrics"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "wukong-metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: sa.Namespace, Name: sa.Name}},
	}); err != nil {
		t.Fatal(err)
	}
	tr := &authenticationv1.TokenRequest{}
	if err := c.SubResource("token").Create(ctx, sa, tr); err != nil {
		t.Fatal(err)
	}
	// The manager's serving certificate is self-signed: a test scrape does not verify it.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
	eventually(t, 30*time.Second, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/metrics", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tr.Status.Token)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /metrics: %s", resp.Status)
		}
		return nil
	})
}

// readAudit reads the audit log's events of user into "verb group/resource[/subresource]" → the namespaces
// requested ("" for cluster-wide), and lists the refused requests. A server-side apply that creates its
// object (patch answered 201) counts as create as well: the apiserver authorizes both.
func readAudit(t *testing.T, path, user string) (map[string]map[string]bool, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	used := map[string]map[string]bool{}
	var refused []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev auditv1.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit log line: %v", err)
		}
		if ev.User.Username != user || ev.ObjectRef == nil || ev.ObjectRef.Resource == "" {
			continue // discovery and other non-resource requests need no role
		}
		res := ev.ObjectRef.APIGroup + "/" + ev.ObjectRef.Resource
		if ev.ObjectRef.Subresource != "" {
			res += "/" + ev.ObjectRef.Subresource
		}
		if ev.ObjectRef.APIGroup == "" {
			res = "core" + res
		}
		code := int32(0)
		if ev.ResponseStatus != nil {
			code = ev.ResponseStatus.Code
		}
		if code == http.StatusForbidden {
			refused = append(refused, fmt.Sprintf("%s %s in %q: %s", ev.Verb, res, ev.ObjectRef.Namespace, ev.ResponseStatus.Message))
			continue
		}
		verbs := []string{ev.Verb}
		if ev.Verb == "patch" && code == http.StatusCreated {
			verbs = append(verbs, "create")
		}
		for _, v := range verbs {
			k := v + " " + res
			if used[k] == nil {
				used[k] = map[string]bool{}
			}
			used[k][ev.ObjectRef.Namespace] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return used, refused
}

// grant is one verb on one resource that a role bound to the manager gives it.
type grant struct {
	// role names the role, key is "verb group/resource[/subresource]" (group "core" for the core group).
	role, key string
	// namespace is a Role's namespace, empty for a ClusterRole bound cluster-wide.
	namespace string
}

func (g grant) usedBy(used map[string]map[string]bool) bool {
	nss := used[g.key]
	if g.namespace == "" {
		return len(nss) > 0
	}
	return nss[g.namespace]
}

func (g grant) where() string {
	if g.namespace == "" {
		return ""
	}
	return " in namespace " + g.namespace
}

// grantedTo lists what the roles bound to the manager's ServiceAccount grant, as installed in the apiserver.
func grantedTo(t *testing.T, env *testenv.Env, id *testenv.ManagerIdentity) []grant {
	t.Helper()
	ctx := t.Context()
	c := env.Client
	isManager := func(subjects []rbacv1.Subject) bool {
		return slices.ContainsFunc(subjects, func(s rbacv1.Subject) bool {
			return s.Kind == rbacv1.ServiceAccountKind && s.Namespace == id.Namespace && s.Name == id.ServiceAccount
		})
	}
	var out []grant
	add := func(role, namespace string, rules []rbacv1.PolicyRule) {
		for _, r := range rules {
			if len(r.NonResourceURLs) > 0 {
				t.Errorf("%s grants non-resource URLs %v to the manager", role, r.NonResourceURLs)
			}
			for _, g := range r.APIGroups {
				if g == "" {
					g = "core"
				}
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						if g == "*" || res == "*" || v == "*" {
							t.Errorf("%s grants a wildcard (%s %s/%s) to the manager", role, v, g, res)
						}
						out = append(out, grant{role: role, key: v + " " + g + "/" + res, namespace: namespace})
					}
				}
			}
		}
	}
	var crbs rbacv1.ClusterRoleBindingList
	if err := c.List(ctx, &crbs); err != nil {
		t.Fatal(err)
	}
	for _, b := range crbs.Items {
		if !isManager(b.Subjects) {
			continue
		}
		var cr rbacv1.ClusterRole
		if err := c.Get(ctx, client.ObjectKey{Name: b.RoleRef.Name}, &cr); err != nil {
			t.Fatal(err)
		}
		add("ClusterRole "+cr.Name, "", cr.Rules)
	}
	var rbs rbacv1.RoleBindingList
	if err := c.List(ctx, &rbs); err != nil {
		t.Fatal(err)
	}
	for _, b := range rbs.Items {
		if !isManager(b.Subjects) {
			continue
		}
		if b.RoleRef.Kind != "Role" {
			t.Errorf("RoleBinding %s/%s binds ClusterRole %s to the manager: bind Roles", b.Namespace, b.Name, b.RoleRef.Name)
			continue
		}
		var r rbacv1.Role
		if err := c.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: b.RoleRef.Name}, &r); err != nil {
			t.Fatal(err)
		}
		add("Role "+b.Namespace+"/"+r.Name, b.Namespace, r.Rules)
	}
	if len(out) == 0 {
		t.Fatal("no role is bound to the manager's ServiceAccount")
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
