package createvm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/template"
)

// FieldManager owns the fields create-vm applies, so a second run with a changed template removes what the
// first one set and no longer sets.
const FieldManager = "wukong-create-vm"

// Runner creates one Wukong and follows it.
type Runner struct {
	c         client.WithWatch
	out       io.Writer
	namespace string
	name      string

	mu      sync.Mutex
	uid     types.UID // of the Wukong this run created or updated; empty until then
	ready   bool
	summary string // why it is (not) ready, for /readyz
}

// NewRunner makes the runner of the Wukong namespace/name, printing its progress to out.
func NewRunner(c client.WithWatch, out io.Writer, namespace, name string) *Runner {
	return &Runner{c: c, out: out, namespace: namespace, name: name}
}

// Printf prints a line about the Wukong, time-stamped.
func (r *Runner) Printf(format string, args ...any) {
	fmt.Fprintf(r.out, "%s Wukong %s/%s: %s\n", time.Now().UTC().Format(time.RFC3339), r.namespace, r.name, fmt.Sprintf(format, args...))
}

// ServeProbes serves /healthz and /readyz at addr. It listens at once, so a port conflict fails the start rather than the first probe.
func (r *Runner) ServeProbes(addr string) (shutdown func(), err error) {
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

// Run creates or updates the Wukong and follows it until ctx ends or the Wukong is deleted by someone else.
func (r *Runner) Run(ctx context.Context, engine *template.Engine, tmpl vmv1alpha1.WukongTemplateSpec, vars template.Vars, ownerPod string) error {
	var owner *metav1.OwnerReference
	if ownerPod != "" {
		var pod corev1.Pod
		if err := r.c.Get(ctx, types.NamespacedName{Namespace: r.namespace, Name: ownerPod}, &pod); err != nil {
			return fmt.Errorf("get owner Pod %s/%s: %w", r.namespace, ownerPod, err)
		}
		ref := PodOwnerReference(&pod)
		owner = &ref
	}
	w, err := BuildWukong(engine, tmpl, vars, owner)
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
func (r *Runner) apply(ctx context.Context, w *vmv1alpha1.Wukong) error {
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
			r.Printf("deleting the Wukong left by an earlier Pod %s (uid %s)", stale.Name, stale.UID)
			uid := existing.UID
			if err := r.c.Delete(ctx, &existing, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return fmt.Errorf("delete Wukong %s left by an earlier pod: %w", key, err)
			}
			continue
		}
		if !waited {
			r.Printf("waiting for the previous Wukong of this name to be deleted")
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
	if err := r.c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply Wukong %s: %w", key, err)
	}
	r.mu.Lock()
	r.uid = u.GetUID()
	r.mu.Unlock()
	owner := "no owner"
	if len(w.OwnerReferences) > 0 {
		owner = "owned by Pod " + w.OwnerReferences[0].Name
	}
	r.Printf("applied (generation %d, %s)", u.GetGeneration(), owner)
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
func (r *Runner) follow(ctx context.Context) error {
	var last string
	report := func(w *vmv1alpha1.Wukong) {
		ready, summary := Readiness(w)
		r.mu.Lock()
		r.ready, r.summary = ready, summary
		r.mu.Unlock()
		if summary != last {
			r.Printf("%s", summary)
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
			r.Printf("list: %v; retrying", err)
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
			r.Printf("watch: %v; retrying", err)
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
func (r *Runner) drain(ctx context.Context, wch watch.Interface, report func(*vmv1alpha1.Wukong)) (deleted bool) {
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

func (r *Runner) setNotReady(summary string) {
	r.mu.Lock()
	r.ready, r.summary = false, summary
	r.mu.Unlock()
}

// Delete removes the Wukong this run applied, and only that one: the UID precondition keeps a slow exit from
// deleting a Wukong that a newer pod of the same name has created meanwhile.
func (r *Runner) Delete() error {
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
		r.Printf("deleted (--delete-on-exit)")
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		// Already gone, or replaced by a newer Wukong that is not ours to delete.
	default:
		return fmt.Errorf("delete Wukong %s/%s: %w", r.namespace, r.name, err)
	}
	return nil
}

// Readiness is the Wukong's Ready condition, counted only once the controller has seen the current spec, and
// a one-line summary of phase, readiness, IP and node.
func Readiness(w *vmv1alpha1.Wukong) (bool, string) {
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
