package install

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wukongmanager "github.com/novasphere/wukong/internal/manager"
	"github.com/novasphere/wukong/internal/webhook"
	"github.com/novasphere/wukong/test/authz"
	"github.com/novasphere/wukong/test/testenv"
)

const (
	webhookService = "wukong-webhook-service"
	webhookSecret  = "wukong-webhook-cert"
)

func typed(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
		t.Fatalf("decode %s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// TestWebhookRenders: config/default's ValidatingWebhookConfiguration is internal/webhook.Configuration
// pointing at the webhook Service, which sends to the manager's webhook port, and the manager is told the
// Service and Secret names the installation uses.
func TestWebhookRenders(t *testing.T) {
	objs := build(t, "default")
	var got admissionregistrationv1.ValidatingWebhookConfiguration
	typed(t, find(t, objs, "ValidatingWebhookConfiguration", webhook.ConfigurationName), &got)
	want := webhook.Configuration(admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
		Namespace: ns, Name: webhookService, Path: ptr.To(webhook.Path), Port: ptr.To[int32](443),
	}})
	if !equality.Semantic.DeepEqual(got.Webhooks, want.Webhooks) {
		t.Errorf("config/webhook/manifests.yaml differs from internal/webhook.Configuration:\n got %+v\nwant %+v", got.Webhooks, want.Webhooks)
	}

	var svc corev1.Service
	typed(t, find(t, objs, "Service", webhookService), &svc)
	var d appsv1.Deployment
	typed(t, find(t, objs, "Deployment", "wukong-controller-manager"), &d)
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("webhook Service selector %v does not match the manager's pod labels %v", svc.Spec.Selector, d.Spec.Template.Labels)
		}
	}
	c := d.Spec.Template.Spec.Containers[0]
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 443 || svc.Spec.Ports[0].TargetPort.String() != "webhook" {
		t.Errorf("webhook Service ports %+v, want 443 to the container port named webhook", svc.Spec.Ports)
	}
	i := slices.IndexFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "webhook" })
	if i < 0 {
		t.Fatalf("the manager has no port named webhook: %+v", c.Ports)
	}
	for _, arg := range []string{
		fmt.Sprintf("--webhook-port=%d", c.Ports[i].ContainerPort),
		"--webhook-service-name=" + webhookService,
		"--webhook-secret-name=" + webhookSecret,
	} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("manager args %q lack %s", c.Args, arg)
		}
	}
}

// TestWebhookCertificatesUnderManagerRBAC installs config/default and builds the manager as its
// ServiceAccount, in-cluster style (the installed configuration, the Service's name in the certificate):
// the manager creates the certificate Secret in its namespace and writes the CA into the installed
// configuration with no more than its own permissions, which allow its configuration only.
func TestWebhookCertificatesUnderManagerRBAC(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := t.Context()
	c := env.Client
	if err := apply(ctx, c, build(t, "default")); err != nil {
		t.Fatal(err)
	}
	sa := authz.ServiceAccount(ns, manager)
	for _, tc := range []struct {
		attrs authorizationv1.ResourceAttributes
		want  bool
	}{
		{authorizationv1.ResourceAttributes{Verb: "update", Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations", Name: webhook.ConfigurationName}, true},
		{authorizationv1.ResourceAttributes{Verb: "update", Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations", Name: "someone-elses"}, false},
		{authorizationv1.ResourceAttributes{Verb: "delete", Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations", Name: "someone-elses"}, false},
		{authorizationv1.ResourceAttributes{Verb: "update", Group: "admissionregistration.k8s.io", Resource: "mutatingwebhookconfigurations", Name: webhook.ConfigurationName}, false},
		{authorizationv1.ResourceAttributes{Namespace: ns, Verb: "update", Resource: "secrets", Name: webhookSecret}, true},
	} {
		sar := &authorizationv1.SubjectAccessReview{Spec: sa}
		sar.Spec.ResourceAttributes = &tc.attrs
		if err := c.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		if sar.Status.Allowed != tc.want {
			t.Errorf("the manager may %s %s %q: %v, want %v", tc.attrs.Verb, tc.attrs.Resource, tc.attrs.Name, sar.Status.Allowed, tc.want)
		}
	}

	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: sa.User, Groups: sa.Groups}
	o := wukongmanager.DefaultOptions()
	o.MetricsAddr, o.ProbeAddr = "0", "0"
	o.Webhook.Namespace, o.Webhook.Host, o.Webhook.Port = ns, "127.0.0.1", freePort(t)
	if _, err := wukongmanager.New(cfg, o); err != nil {
		t.Fatalf("the manager, as its ServiceAccount: %v", err)
	}
	var secret corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: webhookSecret}, &secret); err != nil {
		t.Fatal(err)
	}
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	if err := c.Get(ctx, client.ObjectKey{Name: webhook.ConfigurationName}, &vwc); err != nil {
		t.Fatal(err)
	}
	if len(secret.Data["ca.crt"]) == 0 || !bytes.Equal(vwc.Webhooks[0].ClientConfig.CABundle, secret.Data["ca.crt"]) {
		t.Error("the installed configuration's caBundle is not the Secret's CA")
	}
	if vwc.Webhooks[0].ClientConfig.Service == nil || vwc.Webhooks[0].ClientConfig.URL != nil {
		t.Error("the manager replaced the installed Service reference")
	}
	block, _ := pem.Decode(secret.Data["tls.crt"])
	if block == nil {
		t.Fatal("no serving certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(secret.Data["ca.crt"])
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: webhookService + "." + ns + ".svc"}); err != nil {
		t.Errorf("the serving certificate does not serve %s.%s.svc: %v", webhookService, ns, err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	var port int
	if _, err := fmt.Sscanf(testenv.FreeAddr(t), "127.0.0.1:%d", &port); err != nil {
		t.Fatal(err)
	}
	return port
}
