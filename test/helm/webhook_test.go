package helm

import (
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/utils/ptr"

	"github.com/novasphere/wukong/internal/webhook"
)

// webhookArgs are the manager's webhook flags the chart renders for a release whose full name is fullname.
func webhookArgs(fullname string) []string {
	return []string{"--webhook-port=9443", "--webhook-service-name=" + fullname + "-webhook", "--webhook-secret-name=" + fullname + "-webhook-cert"}
}

// checkWebhookObjects: the chart's ValidatingWebhookConfiguration is internal/webhook.Configuration pointing
// at the release's webhook Service, which sends to the manager's webhook port.
func checkWebhookObjects(t *testing.T, tc operatorCase, rel *release) {
	t.Helper()
	n := tc.fullname
	var got admissionregistrationv1.ValidatingWebhookConfiguration
	fromUnstructured(t, find(t, rel.objects, "ValidatingWebhookConfiguration", webhook.ConfigurationName), &got)
	want := webhook.Configuration(admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
		Namespace: tc.namespace, Name: n + "-webhook", Path: ptr.To(webhook.Path), Port: ptr.To[int32](443),
	}})
	if !equality.Semantic.DeepEqual(got.Webhooks, want.Webhooks) {
		t.Errorf("the chart's webhook configuration differs from internal/webhook.Configuration:\n got %+v\nwant %+v", got.Webhooks, want.Webhooks)
	}
	var svc corev1.Service
	fromUnstructured(t, find(t, rel.objects, "Service", n+"-webhook"), &svc)
	var d appsv1.Deployment
	fromUnstructured(t, find(t, rel.objects, "Deployment", n), &d)
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("webhook Service selector %v does not match the manager's pod labels %v", svc.Spec.Selector, d.Spec.Template.Labels)
		}
	}
	c := d.Spec.Template.Spec.Containers[0]
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "webhook" && p.ContainerPort == 9443 }) {
		t.Errorf("the manager has no container port webhook 9443: %+v", c.Ports)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "webhook" {
		t.Errorf("webhook Service ports %+v, want one to the port named webhook", svc.Spec.Ports)
	}
}

// TestOperatorWebhookDisabled: with webhook.enabled=false the chart installs no webhook and turns it off in
// the manager.
func TestOperatorWebhookDisabled(t *testing.T) {
	rel := mustRender(t, loadChart(t, "wukong-operator"), "wukong-operator", "wukong-system", values(t, "webhook: {enabled: false}"))
	for _, o := range rel.objects {
		if o.GetKind() == "ValidatingWebhookConfiguration" || strings.HasSuffix(o.GetName(), "-webhook") {
			t.Errorf("%s %s rendered with the webhook disabled", o.GetKind(), o.GetName())
		}
	}
	var d appsv1.Deployment
	fromUnstructured(t, find(t, rel.objects, "Deployment", "wukong-operator"), &d)
	if args := d.Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, "--webhook-port=-1") {
		t.Errorf("args %q lack --webhook-port=-1", args)
	}
}
