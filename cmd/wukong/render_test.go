package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/createvm"
	"github.com/novasphere/wukong/internal/template"
	"github.com/novasphere/wukong/test/testenv"
)

func samplePath(name string) string {
	return filepath.Join("..", "..", "config", "samples", name)
}

// TestRenderMatchesController creates design example 6.3 in the cluster and compares what the controllers
// made with what the built binary's render --children prints: the members' names, labels (revision included)
// and specs are identical, and so are the children the Wukong controller wrote: the DataVolumes' sources and
// sizes, the NetworkAttachmentDefinitions' CNI configs, the cloud-init Secrets' network data and the
// VirtualMachines' labels, run strategy, networks, volumes and MAC addresses.
func TestRenderMatchesController(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "render")
	file := samplePath("vm_v1alpha1_wukongset_variables.yaml")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &u.Object); err != nil {
		t.Fatal(err)
	}
	u.SetNamespace(ns)
	if err := h.Client.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "render", "-f", file, "-n", ns, "--children", "-o", "json")
	if code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatal(err)
	}
	var members int
	for _, item := range list.Items {
		var head metav1.TypeMeta
		if err := json.Unmarshal(item, &head); err != nil {
			t.Fatal(err)
		}
		switch head.Kind {
		case "Wukong":
			members++
			var want, got vmv1alpha1.Wukong
			decodeItem(t, item, &want)
			waitFor(t, ns, want.Name, &got)
			if !reflect.DeepEqual(got.Labels, want.Labels) {
				t.Errorf("%s: the controller's labels %v, render's %v", want.Name, got.Labels, want.Labels)
			}
			if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
				t.Errorf("%s: the controller's spec %+v, render's %+v", want.Name, got.Spec, want.Spec)
			}
		case "DataVolume":
			var want, got cdiv1.DataVolume
			decodeItem(t, item, &want)
			waitFor(t, ns, want.Name, &got)
			if !equality.Semantic.DeepEqual(got.Spec.Source, want.Spec.Source) || !equality.Semantic.DeepEqual(got.Spec.Storage.Resources, want.Spec.Storage.Resources) ||
				!reflect.DeepEqual(got.Labels, want.Labels) {
				t.Errorf("DataVolume %s: the controller's %+v, render's %+v", want.Name, got.Spec, want.Spec)
			}
		case "NetworkAttachmentDefinition":
			var want, got nadv1.NetworkAttachmentDefinition
			decodeItem(t, item, &want)
			waitFor(t, ns, want.Name, &got)
			if got.Spec.Config != want.Spec.Config || !reflect.DeepEqual(got.Labels, want.Labels) {
				t.Errorf("attachment %s: the controller's config %s, render's %s", want.Name, got.Spec.Config, want.Spec.Config)
			}
		case "Secret":
			var want, got corev1.Secret
			decodeItem(t, item, &want)
			waitFor(t, ns, want.Name, &got)
			if _, ok := want.Data["userdata"]; ok {
				t.Errorf("render printed the user data of Secret %s", want.Name)
			}
			if string(got.Data["networkdata"]) != string(want.Data["networkdata"]) || got.Type != want.Type {
				t.Errorf("Secret %s: the controller's network data %s, render's %s", want.Name, got.Data["networkdata"], want.Data["networkdata"])
			}
		case "VirtualMachine":
			var want, got kubevirtv1.VirtualMachine
			decodeItem(t, item, &want)
			waitFor(t, ns, want.Name, &got)
			gs, ws := got.Spec.Template.Spec, want.Spec.Template.Spec
			if !reflect.DeepEqual(got.Labels, want.Labels) || *got.Spec.RunStrategy != *want.Spec.RunStrategy ||
				!equality.Semantic.DeepEqual(gs.Networks, ws.Networks) || !equality.Semantic.DeepEqual(gs.Volumes, ws.Volumes) ||
				!equality.Semantic.DeepEqual(gs.Domain.Devices.Interfaces, ws.Domain.Devices.Interfaces) {
				t.Errorf("VirtualMachine %s: the controller's %+v, render's %+v", want.Name, got.Spec, want.Spec)
			}
		default:
			t.Errorf("render printed a %s", head.Kind)
		}
	}
	var wukongs vmv1alpha1.WukongList
	if err := h.Client.List(ctx, &wukongs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if members != 3 || len(wukongs.Items) != members {
		t.Errorf("the controller made %d members, render printed %d", len(wukongs.Items), members)
	}
}

// decodeItem decodes one item of render's List strictly: render prints nothing the API types do not know.
func decodeItem(t *testing.T, raw []byte, obj any) {
	t.Helper()
	if err := crdschema.DecodeStrict(raw, obj); err != nil {
		t.Fatalf("render printed an object that does not decode: %v\n%s", err, raw)
	}
}

// waitFor waits until the controllers have created name in ns and reads it into obj.
func waitFor(t *testing.T, ns, name string, obj client.Object) {
	t.Helper()
	eventually(t, func() error {
		if !testenv.Exists(t, h.Client, ns, name, obj) {
			return fmt.Errorf("%T %s not created yet", obj, name)
		}
		return nil
	})
}

// TestStatefulSetSample builds config/samples/statefulset with kustomize, has the apiserver accept every
// object, checks the StatefulSet is the design's 3.2 wired to create-vm, and renders its template for a pod.
func TestStatefulSetSample(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "statefulset-sample")
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), samplePath("statefulset"))
	if err != nil {
		t.Fatalf("kustomize build config/samples/statefulset: %v", err)
	}
	kinds := map[string]*unstructured.Unstructured{}
	for _, r := range res.Resources() {
		raw, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			t.Fatal(err)
		}
		u.SetNamespace(ns)
		if err := h.Client.Create(ctx, u, client.FieldValidation("Strict")); err != nil {
			t.Errorf("%s %s rejected: %v", u.GetKind(), u.GetName(), err)
		}
		kinds[u.GetKind()] = u
	}
	for _, k := range []string{"StatefulSet", "Service", "ServiceAccount", "Role", "RoleBinding", "ConfigMap"} {
		if kinds[k] == nil {
			t.Fatalf("no %s in the sample", k)
		}
	}

	var sts appsv1.StatefulSet
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vm-set"}, &sts); err != nil {
		t.Fatal(err)
	}
	if *sts.Spec.Replicas != 5 || sts.Spec.ServiceName != "vm-set" || sts.Spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement {
		t.Errorf("StatefulSet: replicas %d, serviceName %q, policy %s", *sts.Spec.Replicas, sts.Spec.ServiceName, sts.Spec.PodManagementPolicy)
	}
	c := sts.Spec.Template.Spec.Containers[0]
	if want := []string{"create-vm", "--template=/etc/wukong/vm-template.yaml", "--index=$(POD_NAME)"}; !slices.Equal(c.Args, want) {
		t.Errorf("args %q, want %q", c.Args, want)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			env[e.Name] = e.ValueFrom.FieldRef.FieldPath
		}
	}
	if env["POD_NAME"] != "metadata.name" || env["POD_NAMESPACE"] != "metadata.namespace" {
		t.Errorf("downward API env %v", env)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port.IntValue() != 8080 {
		t.Errorf("readinessProbe %+v, want httpGet /readyz on 8080", p)
	}
	if sts.Spec.Template.Spec.ServiceAccountName != "vm-set" {
		t.Errorf("serviceAccountName %q", sts.Spec.Template.Spec.ServiceAccountName)
	}
	var cmName string
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			cmName = v.ConfigMap.Name
		}
	}
	if cmName != kinds["ConfigMap"].GetName() {
		t.Errorf("the template volume mounts ConfigMap %q, the sample has %q", cmName, kinds["ConfigMap"].GetName())
	}

	var role rbacv1.Role
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vm-set"}, &role); err != nil {
		t.Fatal(err)
	}
	allowed := func(group, resource, verb string) bool {
		for _, r := range role.Rules {
			if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
				return true
			}
		}
		return false
	}
	for _, verb := range []string{"create", "get", "list", "watch", "update", "patch", "delete"} {
		if !allowed(vmv1alpha1.GroupVersion.Group, "wukongs", verb) {
			t.Errorf("the Role does not allow %s on wukongs", verb)
		}
	}
	if !allowed("", "pods", "get") {
		t.Error("the Role does not allow get on pods")
	}

	// The ConfigMap's template, rendered for pod vm-set-3 as create-vm does, is a valid Wukong.
	var cm corev1.ConfigMap
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: cmName}, &cm); err != nil {
		t.Fatal(err)
	}
	tmpl, err := createvm.ParseTemplate([]byte(cm.Data["vm-template.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	engine, err := template.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	w, err := createvm.BuildWukong(engine, tmpl, template.Vars{Index: 3, Name: "vm-set-3", Set: "vm-set", Namespace: ns}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Spec.Networks[0].IPConfig.Address; got != "192.168.10.13/24" {
		t.Errorf("vm-set-3's address %q, want 192.168.10.13/24", got)
	}
	schema, err := crdschema.Wukong()
	if err != nil {
		t.Fatal(err)
	}
	obj, err := crdschema.ToMap(w)
	if err != nil {
		t.Fatal(err)
	}
	schema.Default(obj)
	if errs := schema.Validate(ctx, obj); len(errs) > 0 {
		t.Errorf("vm-set-3 from the sample template is invalid: %v", errs.ToAggregate())
	}

	t.Run("create-vm needs no more than the sample's Role", func(t *testing.T) {
		// Without the Role the same run is forbidden: the impersonation below is what is tested.
		nobody := impersonating(t, "system:serviceaccount:"+ns+":nobody", "system:serviceaccounts", "system:authenticated")
		code, _, stderr := run(t, "create-vm", "--template="+samplePath("statefulset/vm-template.yaml"), "--index=vm-set-9",
			"--owner-pod=vm-set-9", "--namespace="+ns, "--kubeconfig", nobody, "--ready-addr", "0")
		if code != 1 || !strings.Contains(stderr, "forbidden") {
			t.Fatalf("a service account without the Role: exit %d, stderr %q; want exit 1, forbidden", code, stderr)
		}

		kubeconfig := impersonating(t, "system:serviceaccount:"+ns+":vm-set",
			"system:serviceaccounts", "system:serviceaccounts:"+ns, "system:authenticated")
		tmplFile := filepath.Join(t.TempDir(), "vm-template.yaml")
		writeFile(t, tmplFile, cm.Data["vm-template.yaml"])
		createPod(t, ns, "vm-set-0")
		p := start(t, []string{"POD_NAME=vm-set-0", "POD_NAMESPACE=" + ns}, "create-vm", "--template="+tmplFile,
			"--index=vm-set-0", "--kubeconfig", kubeconfig, "--ready-addr", "0", "--delete-on-exit")
		// A status line after "applied" means the list and watch were allowed too.
		eventually(t, func() error {
			if out := p.stdout.String(); !strings.Contains(out, "phase ") {
				return fmt.Errorf("no status line yet; stdout %s; stderr %s", out, p.stderr)
			}
			return nil
		})
		if code := p.signal(t, syscall.SIGTERM); code != 0 {
			t.Fatalf("exit code %d; stderr %s", code, p.stderr)
		}
		if testenv.Exists(t, h.Client, ns, "vm-set-0", &vmv1alpha1.Wukong{}) {
			// Deleted, perhaps still finalizing; it must at least be marked.
			var w vmv1alpha1.Wukong
			if testenv.Exists(t, h.Client, ns, "vm-set-0", &w) && w.DeletionTimestamp == nil {
				t.Errorf("--delete-on-exit did not delete the Wukong as the service account: %s", p.stderr)
			}
		}
	})
}

// impersonating writes a copy of the test kubeconfig that acts as user, so a process runs with that user's
// RBAC permissions.
func impersonating(t *testing.T, user string, groups ...string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(h.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate, a.ImpersonateGroups = user, groups
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
