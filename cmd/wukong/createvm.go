package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cli"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/scheme"
	"github.com/novasphere/wukong/internal/template"
)

// createVMFieldManager owns the fields create-vm applies, so a second run with a changed template removes
// what the first one set and no longer sets.
const createVMFieldManager = "wukong-create-vm"

const createVMLong = `Creates (or updates) one Wukong from a template and stays running while it exists: it prints the Wukong's
progress, serves /readyz (200 only while the Wukong's Ready condition is True, 503 otherwise) and /healthz,
and exits 0 on SIGTERM or SIGINT. Meant as the container of a StatefulSet pod (design route 2, see
config/samples/statefulset): the Wukong is named after the pod, created in the pod's namespace and owned
by the pod, so scaling the StatefulSet down deletes the VM through garbage collection, and a readinessProbe
on /readyz makes OrderedReady wait for each VM.

The template FILE holds one of:
  - a template: metadata {labels, annotations} and spec, as under a WukongSet's spec.template;
  - a whole WukongSet: its spec.template is used;
  - a Wukong: its labels, annotations and spec are used.
Every string may hold ${...} variables, rendered by the same engine as a WukongSet's members: INDEX (from
--index), NAME (the Wukong's name), SET (the StatefulSet's name: the pod name without its ordinal),
NAMESPACE and REPLICAS (--replicas). See docs/templates.md.`

// createVMOptions are create-vm's flags after parsing.
type createVMOptions struct {
	templateFile string
	index        string
	name         string
	namespace    string
	kubeconfig   string
	readyAddr    string
	ownerPod     string
	replicas     int64
	deleteOnExit bool
}

func newCreateVMCommand() *cobra.Command {
	var o createVMOptions
	cmd := &cobra.Command{
		Use:   "create-vm --template=FILE [--index=N|POD_NAME] [flags]",
		Short: "Create one Wukong from a template for a StatefulSet pod, and report its readiness",
		Long:  createVMLong,
		Example: `  # As a StatefulSet pod's container (POD_NAME and POD_NAMESPACE from the downward API)
  wukong create-vm --template=/etc/wukong/vm-template.yaml --index=$(POD_NAME)`,
		Args:        noArgs,
		Annotations: map[string]string{cli.AnnotationGoFlagSyntax: "true"},
		RunE: func(*cobra.Command, []string) error {
			if err := o.complete(); err != nil {
				return err
			}
			return runCreateVM(o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.templateFile, "template", "", "file holding the Wukong template (required)")
	fs.StringVar(&o.index, "index", "", "the member's index: a number, or a pod name whose ordinal follows the last dash (vm-set-3 is 3); default: the owner pod's name")
	fs.StringVar(&o.name, "name", "", "the Wukong's name; default: the owner pod's name")
	fs.StringVar(&o.namespace, "namespace", "", "the Wukong's namespace; default: $POD_NAMESPACE, else the kubeconfig's or the in-cluster namespace")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "path to a kubeconfig; empty means $KUBECONFIG or in-cluster")
	fs.StringVar(&o.readyAddr, "ready-addr", ":8080", "address of the /readyz and /healthz endpoints; empty or 0 disables them")
	fs.StringVar(&o.ownerPod, "owner-pod", "", "the pod that owns the Wukong (garbage collection deletes the Wukong with it); default: $POD_NAME; none when both are empty")
	fs.Int64Var(&o.replicas, "replicas", 0, "the value of ${REPLICAS}")
	fs.BoolVar(&o.deleteOnExit, "delete-on-exit", false, "delete the Wukong on SIGTERM or SIGINT before exiting")
	return cmd
}

// complete checks the flags and fills the defaults that come from the environment.
func (o *createVMOptions) complete() error {
	if o.templateFile == "" {
		return errors.New("--template is required: the file holding the Wukong template")
	}
	if o.replicas < 0 {
		return fmt.Errorf("--replicas %d: must not be negative", o.replicas)
	}
	if o.ownerPod == "" {
		o.ownerPod = os.Getenv("POD_NAME")
	}
	return nil
}

// member is what create-vm decided to create, before any cluster call.
type member struct {
	name, set string
	index     int64
}

// resolveMember decides the Wukong's name, index and set name from the flags and the owner pod's name.
func resolveMember(o createVMOptions) (member, error) {
	indexArg := o.index
	if indexArg == "" {
		indexArg = o.ownerPod
	}
	if indexArg == "" {
		return member{}, errors.New("--index is required when neither --owner-pod nor $POD_NAME is set")
	}
	index, set, err := parseIndex(indexArg)
	if err != nil {
		return member{}, err
	}
	m := member{name: o.name, index: index, set: set}
	if m.set == "" && o.ownerPod != "" {
		if _, s, err := parseIndex(o.ownerPod); err == nil {
			m.set = s
		}
	}
	if m.name == "" {
		m.name = o.ownerPod
	}
	if m.name == "" && set != "" {
		m.name = indexArg
	}
	if m.name == "" {
		return member{}, errors.New("--name is required when neither --owner-pod nor $POD_NAME is set and --index is a number")
	}
	return m, nil
}

// parseIndex reads an index given as a number ("3") or as a StatefulSet pod name ("vm-set-3"), whose ordinal
// follows the last dash. set is the pod name without "-<ordinal>", empty for a plain number.
func parseIndex(s string) (index int64, set string, err error) {
	digits := s
	dash := strings.LastIndexByte(s, '-')
	if dash >= 0 {
		set, digits = s[:dash], s[dash+1:]
	}
	n, perr := strconv.ParseInt(digits, 10, 64)
	if perr != nil || strings.Trim(digits, "0123456789") != "" || (dash >= 0 && set == "") {
		return 0, "", fmt.Errorf("--index %q: want a non-negative number or a pod name ending in -<ordinal>, such as vm-set-3", s)
	}
	return n, set, nil
}

// loadTemplate reads a Wukong template from a file holding a template (metadata and spec), a WukongSet (its
// spec.template) or a Wukong (its labels, annotations and spec). Unknown fields are errors, so a typo is
// reported instead of silently dropped.
func loadTemplate(path string) (vmv1alpha1.WukongTemplateSpec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return vmv1alpha1.WukongTemplateSpec{}, fmt.Errorf("read template: %w", err)
	}
	t, err := parseTemplate(raw)
	if err != nil {
		return vmv1alpha1.WukongTemplateSpec{}, fmt.Errorf("template %s: %w", path, err)
	}
	return t, nil
}

func parseTemplate(raw []byte) (vmv1alpha1.WukongTemplateSpec, error) {
	var head map[string]any
	if err := yaml.Unmarshal(raw, &head); err != nil {
		return vmv1alpha1.WukongTemplateSpec{}, err
	}
	if head == nil {
		return vmv1alpha1.WukongTemplateSpec{}, errors.New("empty document")
	}
	kind, _ := head["kind"].(string)
	switch kind {
	case "":
		if _, ok := head["spec"]; !ok {
			return vmv1alpha1.WukongTemplateSpec{}, errors.New("spec: required (a template is metadata {labels, annotations} and spec; a whole WukongSet or Wukong needs its kind)")
		}
		var t vmv1alpha1.WukongTemplateSpec
		if err := decodeStrict(raw, &t); err != nil {
			return t, err
		}
		return t, nil
	case "WukongSet":
		var set vmv1alpha1.WukongSet
		if err := decodeStrict(raw, &set); err != nil {
			return vmv1alpha1.WukongTemplateSpec{}, err
		}
		return set.Spec.Template, nil
	case "Wukong":
		var w vmv1alpha1.Wukong
		if err := decodeStrict(raw, &w); err != nil {
			return vmv1alpha1.WukongTemplateSpec{}, err
		}
		return vmv1alpha1.WukongTemplateSpec{
			Metadata: vmv1alpha1.WukongTemplateMetadata{Labels: templateStrings(w.Labels), Annotations: templateStrings(w.Annotations)},
			Spec:     w.Spec,
		}, nil
	default:
		return vmv1alpha1.WukongTemplateSpec{}, fmt.Errorf("kind %q: want a template (no kind), a WukongSet or a Wukong", kind)
	}
}

// decodeStrict decodes YAML into v as the apiserver's strict field validation does: an unknown or
// duplicate field is an error that gives its full path, such as unknown field "spec.cpus".
func decodeStrict(raw []byte, v any) error {
	data, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(data, v)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

func templateStrings(m map[string]string) map[string]vmv1alpha1.TemplateString {
	if m == nil {
		return nil
	}
	out := make(map[string]vmv1alpha1.TemplateString, len(m))
	for k, v := range m {
		out[k] = vmv1alpha1.TemplateString(v)
	}
	return out
}

// buildWukong renders the template for one member: every expression is compiled first so all syntax errors
// are reported at once, each with its field path.
func buildWukong(engine *template.Engine, t vmv1alpha1.WukongTemplateSpec, vars template.Vars, owner *metav1.OwnerReference) (*vmv1alpha1.Wukong, error) {
	if err := engine.Check(t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	r, err := engine.Render(t, vars)
	if err != nil {
		return nil, fmt.Errorf("render %s (index %d): %w", vars.Name, vars.Index, err)
	}
	w := &vmv1alpha1.Wukong{
		TypeMeta: metav1.TypeMeta{APIVersion: vmv1alpha1.GroupVersion.String(), Kind: "Wukong"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        vars.Name,
			Namespace:   vars.Namespace,
			Labels:      vmv1alpha1.StringMap(r.Metadata.Labels),
			Annotations: vmv1alpha1.StringMap(r.Metadata.Annotations),
		},
		Spec: r.Spec,
	}
	if owner != nil {
		w.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return w, nil
}

// podOwnerReference makes the pod an owner of the Wukong without being its controller (a WukongSet is the
// only controller of Wukongs), blocking the pod's foreground deletion until the Wukong is gone.
func podOwnerReference(pod *corev1.Pod) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         "v1",
		Kind:               "Pod",
		Name:               pod.Name,
		UID:                pod.UID,
		Controller:         ptr.To(false),
		BlockOwnerDeletion: ptr.To(true),
	}
}

func runCreateVM(o createVMOptions) error {
	m, err := resolveMember(o)
	if err != nil {
		return err
	}
	tmpl, err := loadTemplate(o.templateFile)
	if err != nil {
		return err
	}
	engine, err := template.NewEngine()
	if err != nil {
		return err
	}
	// Syntax errors need no cluster; report them before connecting.
	if err := engine.Check(tmpl); err != nil {
		return fmt.Errorf("template %s: %w", o.templateFile, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	cc := clientConfig(o.kubeconfig)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg.UserAgent = "wukong-create-vm"
	ns, err := namespaceOf(o.namespace, cc)
	if err != nil {
		return err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return err
	}

	r := &vmRunner{c: c, out: os.Stdout, namespace: ns, name: m.name}
	if o.readyAddr != "" && o.readyAddr != "0" {
		shutdown, err := r.serveProbes(o.readyAddr)
		if err != nil {
			return err
		}
		defer shutdown()
	}

	runErr := r.run(ctx, engine, tmpl, template.Vars{Index: m.index, Name: m.name, Set: m.set, Namespace: ns, Replicas: o.replicas}, o.ownerPod)
	if ctx.Err() != nil {
		// A signal: whatever was in flight was cut short on purpose.
		runErr = nil
		r.printf("received a termination signal")
	}
	if o.deleteOnExit {
		if err := r.delete(); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// clientConfig loads --kubeconfig, else $KUBECONFIG or ~/.kube/config, else the in-cluster configuration.
func clientConfig(kubeconfig string) clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
}

// namespaceOf picks the Wukong's namespace: the flag, else the pod's ($POD_NAMESPACE from the downward API),
// else the kubeconfig context's or, in a cluster, the service account's namespace file.
func namespaceOf(flagValue string, cc clientcmd.ClientConfig) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns, nil
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return "", fmt.Errorf("find the namespace (set --namespace or $POD_NAMESPACE): %w", err)
	}
	return ns, nil
}

// vmRunner creates one Wukong and follows it.
type vmRunner struct {
	c         client.WithWatch
	out       *os.File
	namespace string
	name      string

	mu      sync.Mutex
	uid     types.UID // of the Wukong this run created or updated; empty until then
	ready   bool
	summary string // why it is (not) ready, for /readyz
}

func (r *vmRunner) printf(format string, args ...any) {
	fmt.Fprintf(r.out, "%s Wukong %s/%s: %s\n", time.Now().UTC().Format(time.RFC3339), r.namespace, r.name, fmt.Sprintf(format, args...))
}

// serveProbes listens at once, so a port conflict fails the start rather than the first probe.
func (r *vmRunner) serveProbes(addr string) (shutdown func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--ready-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		ready, summary := r.ready, r.summary
		r.mu.Unlock()
		if summary == "" {
			summary = "not created yet"
		}
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, summary)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// run creates or updates the Wukong and follows it until ctx ends or the Wukong is deleted by someone else.
func (r *vmRunner) run(ctx context.Context, engine *template.Engine, tmpl vmv1alpha1.WukongTemplateSpec, vars template.Vars, ownerPod string) error {
	var owner *metav1.OwnerReference
	if ownerPod != "" {
		var pod corev1.Pod
		if err := r.c.Get(ctx, types.NamespacedName{Namespace: r.namespace, Name: ownerPod}, &pod); err != nil {
			return fmt.Errorf("get owner Pod %s/%s: %w", r.namespace, ownerPod, err)
		}
		ref := podOwnerReference(&pod)
		owner = &ref
	}
	w, err := buildWukong(engine, tmpl, vars, owner)
	if err != nil {
		return err
	}
	if err := r.apply(ctx, w); err != nil {
		return err
	}
	return r.follow(ctx)
}

// apply creates or updates the Wukong with server-side apply. A Wukong of the same name that an earlier pod
// of the same name owned (the pod was deleted and the StatefulSet made a new one) is deleted and created
// afresh: garbage collection would delete it anyway, and doing it here keeps the outcome from depending on
// whether the collector or this command gets there first. It refuses to take over a Wukong that a
// controller, such as a WukongSet, manages.
func (r *vmRunner) apply(ctx context.Context, w *vmv1alpha1.Wukong) error {
	key := client.ObjectKeyFromObject(w)
	for waited := false; ; waited = true {
		var existing vmv1alpha1.Wukong
		err := r.c.Get(ctx, key, &existing)
		if apierrors.IsNotFound(err) {
			break
		}
		if err != nil {
			return fmt.Errorf("get Wukong %s: %w", key, err)
		}
		if ref := metav1.GetControllerOf(&existing); ref != nil {
			return fmt.Errorf("the Wukong %s exists and is controlled by %s %s; create-vm does not take it over", key, ref.Kind, ref.Name)
		}
		if existing.DeletionTimestamp == nil {
			stale := staleOwner(&existing, w)
			if stale == nil {
				break
			}
			r.printf("deleting the Wukong left by an earlier Pod %s (uid %s)", stale.Name, stale.UID)
			uid := existing.UID
			if err := r.c.Delete(ctx, &existing, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return fmt.Errorf("delete Wukong %s left by an earlier pod: %w", key, err)
			}
			continue
		}
		if !waited {
			r.printf("waiting for the previous Wukong of this name to be deleted")
		}
		if !sleep(ctx, time.Second) {
			return ctx.Err()
		}
	}
	obj, err := crdschema.ToMap(w)
	if err != nil {
		return err
	}
	if md, ok := obj["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	u := &unstructured.Unstructured{Object: obj}
	if err := r.c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(createVMFieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply Wukong %s: %w", key, err)
	}
	r.mu.Lock()
	r.uid = u.GetUID()
	r.mu.Unlock()
	owner := "no owner"
	if len(w.OwnerReferences) > 0 {
		owner = "owned by Pod " + w.OwnerReferences[0].Name
	}
	r.printf("applied (generation %d, %s)", u.GetGeneration(), owner)
	return nil
}

// staleOwner returns the owner reference of existing to an earlier pod of the owner pod's name, if any.
func staleOwner(existing, desired *vmv1alpha1.Wukong) *metav1.OwnerReference {
	if len(desired.OwnerReferences) == 0 {
		return nil
	}
	pod := desired.OwnerReferences[0]
	for i, ref := range existing.OwnerReferences {
		if ref.APIVersion == pod.APIVersion && ref.Kind == pod.Kind && ref.Name == pod.Name && ref.UID != pod.UID {
			return &existing.OwnerReferences[i]
		}
	}
	return nil
}

// errWukongDeleted ends a run whose Wukong someone else deleted: exiting lets the pod restart and create it
// again, and an exit is what a human watching the pod expects to see.
var errWukongDeleted = errors.New("the Wukong was deleted")

// follow watches the Wukong, printing phase, readiness, IP and node changes and keeping /readyz current,
// until ctx ends. A watch that the apiserver closes is opened again from a fresh list.
func (r *vmRunner) follow(ctx context.Context) error {
	var last string
	report := func(w *vmv1alpha1.Wukong) {
		ready, summary := readiness(w)
		r.mu.Lock()
		r.ready, r.summary = ready, summary
		r.mu.Unlock()
		if summary != last {
			r.printf("%s", summary)
			last = summary
		}
	}
	opts := []client.ListOption{client.InNamespace(r.namespace), client.MatchingFields{"metadata.name": r.name}}
	for {
		var list vmv1alpha1.WukongList
		if err := r.c.List(ctx, &list, opts...); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.printf("list: %v; retrying", err)
			if !sleep(ctx, time.Second) {
				return ctx.Err()
			}
			continue
		}
		if len(list.Items) == 0 {
			r.setNotReady("deleted")
			return errWukongDeleted
		}
		report(&list.Items[0])
		wch, err := r.c.Watch(ctx, &vmv1alpha1.WukongList{}, append(opts, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})...)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.printf("watch: %v; retrying", err)
			if !sleep(ctx, time.Second) {
				return ctx.Err()
			}
			continue
		}
		deleted := r.drain(ctx, wch, report)
		wch.Stop()
		if deleted {
			r.setNotReady("deleted")
			return errWukongDeleted
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// drain handles watch events until the watch ends; it reports whether the Wukong was deleted.
func (r *vmRunner) drain(ctx context.Context, wch watch.Interface, report func(*vmv1alpha1.Wukong)) (deleted bool) {
	for {
		select {
		case <-ctx.Done():
			return false
		case ev, ok := <-wch.ResultChan():
			if !ok {
				return false
			}
			switch ev.Type {
			case watch.Added, watch.Modified:
				if w, ok := ev.Object.(*vmv1alpha1.Wukong); ok {
					report(w)
				}
			case watch.Deleted:
				return true
			case watch.Error:
				// Usually an expired resourceVersion; a new list starts over.
				return false
			}
		}
	}
}

func (r *vmRunner) setNotReady(summary string) {
	r.mu.Lock()
	r.ready, r.summary = false, summary
	r.mu.Unlock()
}

// delete removes the Wukong this run applied, and only that one: the UID precondition keeps a slow exit from
// deleting a Wukong that a newer pod of the same name has created meanwhile.
func (r *vmRunner) delete() error {
	r.mu.Lock()
	uid := r.uid
	r.mu.Unlock()
	if uid == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Namespace: r.namespace, Name: r.name}}
	err := r.c.Delete(ctx, w, client.Preconditions{UID: &uid})
	switch {
	case err == nil:
		r.printf("deleted (--delete-on-exit)")
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		// Already gone, or replaced by a newer Wukong that is not ours to delete.
	default:
		return fmt.Errorf("delete Wukong %s/%s: %w", r.namespace, r.name, err)
	}
	return nil
}

// readiness is the Wukong's Ready condition, counted only once the controller has seen the current spec, and
// a one-line summary of phase, readiness, IP and node.
func readiness(w *vmv1alpha1.Wukong) (bool, string) {
	cond := meta.FindStatusCondition(w.Status.Conditions, vmv1alpha1.WukongReady)
	ready := cond != nil && cond.Status == metav1.ConditionTrue && cond.ObservedGeneration >= w.Generation
	if w.DeletionTimestamp != nil {
		return false, "not ready: being deleted"
	}
	if w.Status.Phase == "" && cond == nil {
		return false, "not ready: waiting for the operator to report its status"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "phase %s", w.Status.Phase)
	switch {
	case ready:
		b.WriteString(", ready")
	case cond == nil:
		b.WriteString(", not ready")
	case cond.Status == metav1.ConditionTrue:
		b.WriteString(", not ready: the controller has not seen the current spec yet")
	default:
		fmt.Fprintf(&b, ", not ready: %s", cond.Reason)
		if cond.Message != "" {
			fmt.Fprintf(&b, ": %s", cond.Message)
		}
	}
	if w.Status.IP != "" {
		fmt.Fprintf(&b, ", ip %s", w.Status.IP)
	}
	if w.Status.NodeName != "" {
		fmt.Fprintf(&b, ", node %s", w.Status.NodeName)
	}
	return ready, b.String()
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
