package testenv

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// ManagerIdentity is the operator's ServiceAccount as `kustomize build config/default` installs it, with
// the RBAC generated from the controllers' markers, and a token for it: the manager in tests runs as this
// user, never as an administrator, so a permission missing from config/rbac fails the tests.
type ManagerIdentity struct {
	// Namespace and ServiceAccount name the account (wukong-system and wukong-manager).
	Namespace, ServiceAccount string
	// User is the account's user name, as the apiserver authenticates it (system:serviceaccount:…).
	User string
	// Config reaches the apiserver with the account's token, without client-side rate limiting.
	Config *rest.Config
	// Kubeconfig is the path of a kubeconfig file for Config, for manager processes.
	Kubeconfig string
}

// rbacKinds are the objects of config/default that give the manager its identity and permissions.
var rbacKinds = map[string]bool{
	"Namespace": true, "ServiceAccount": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "Role": true, "RoleBinding": true,
}

// fieldManager is the field manager of what the test environment installs.
const fieldManager = "wukong-testenv"

// ManagerIdentity installs the manager's ServiceAccount, ClusterRoles, Roles and bindings from
// config/default (as a user's `kustomize build config/default | kubectl apply` does), requests a token for
// the account with the TokenRequest API, and returns the identity. Later calls return the same identity.
func (e *Env) ManagerIdentity(ctx context.Context) (*ManagerIdentity, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.identity != nil {
		return e.identity, nil
	}
	objs, err := managerRBAC()
	if err != nil {
		return nil, err
	}
	id := &ManagerIdentity{}
	for _, o := range objs {
		if o.GetKind() == "ServiceAccount" {
			id.Namespace, id.ServiceAccount = o.GetNamespace(), o.GetName()
		}
		if err := e.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(fieldManager), client.ForceOwnership); err != nil {
			return nil, fmt.Errorf("apply %s %s from config/default: %w", o.GetKind(), o.GetName(), err)
		}
	}
	if id.ServiceAccount == "" {
		return nil, fmt.Errorf("config/default has no ServiceAccount")
	}
	id.User = "system:serviceaccount:" + id.Namespace + ":" + id.ServiceAccount

	// A bound token, as the kubelet mounts into the manager's pod; a day outlasts any test.
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptrTo(int64(24 * 3600))}}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: id.Namespace, Name: id.ServiceAccount}}
	if err := e.Client.SubResource("token").Create(ctx, sa, tr); err != nil {
		return nil, fmt.Errorf("request a token for ServiceAccount %s/%s: %w", id.Namespace, id.ServiceAccount, err)
	}
	id.Config = &rest.Config{
		Host:            e.Config.Host,
		BearerToken:     tr.Status.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: e.Config.CAData},
		QPS:             -1,
	}
	if err := e.waitAuthorized(ctx, id.User); err != nil {
		return nil, err
	}
	id.Kubeconfig = filepath.Join(e.dir, "manager.kubeconfig")
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: e.Config.Host, CertificateAuthorityData: e.Config.CAData}
	kc.AuthInfos[id.ServiceAccount] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["manager"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: id.ServiceAccount, Namespace: id.Namespace}
	kc.CurrentContext = "manager"
	if err := clientcmd.WriteToFile(*kc, id.Kubeconfig); err != nil {
		return nil, err
	}
	e.identity = id
	return id, nil
}

// waitAuthorized waits until the apiserver's RBAC authorizer, which learns of new bindings through a watch,
// lets user watch WukongSets: the manager's first request must not race the bindings just created.
func (e *Env) waitAuthorized(ctx context.Context, user string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   user,
			Groups: []string{"system:serviceaccounts", "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Group: "vm.novasphere.dev", Resource: "wukongsets", Verb: "watch",
			},
		}}
		if err := e.Client.Create(ctx, sar); err != nil {
			return fmt.Errorf("check the manager's permissions: %w", err)
		}
		if sar.Status.Allowed {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s may not watch WukongSets 30s after config/rbac was installed: %s", user, sar.Status.Reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ManagerUser is the user name the manager's ServiceAccount authenticates as, from config/default, known
// before any control plane starts (for Options.AuditUsers).
func ManagerUser() (string, error) {
	objs, err := managerRBAC()
	if err != nil {
		return "", err
	}
	for _, o := range objs {
		if o.GetKind() == "ServiceAccount" {
			return "system:serviceaccount:" + o.GetNamespace() + ":" + o.GetName(), nil
		}
	}
	return "", fmt.Errorf("config/default has no ServiceAccount")
}

// managerRBAC renders config/default and keeps the objects that make the manager's identity.
func managerRBAC() ([]*unstructured.Unstructured, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified // the kustomization's sortOptions decide, as in the CLI
	k := krusty.MakeKustomizer(opts)
	res, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(RepoRoot(), "config", "default"))
	if err != nil {
		return nil, fmt.Errorf("kustomize build config/default: %w", err)
	}
	var out []*unstructured.Unstructured
	for _, r := range res.Resources() {
		if !rbacKinds[r.GetKind()] {
			continue
		}
		m, err := r.Map()
		if err != nil {
			return nil, err
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	// Namespaces first, then accounts and roles, then bindings, as kubectl's apply of the whole would.
	order := map[string]int{"Namespace": 0, "ServiceAccount": 1, "ClusterRole": 1, "Role": 1}
	rank := func(kind string) int {
		if r, ok := order[kind]; ok {
			return r
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b *unstructured.Unstructured) int { return rank(a.GetKind()) - rank(b.GetKind()) })
	return out, nil
}

func ptrTo[T any](v T) *T { return &v }
