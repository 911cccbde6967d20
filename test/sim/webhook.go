package sim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// LabelVirtAPIWebhook marks the Mutating- and ValidatingWebhookConfigurations simulators register, one of
// each per simulator, under a name of its own (see virtAPI.name), so several simulators can share an
// apiserver.
const LabelVirtAPIWebhook = "sim.novasphere.dev/virt-api"

// Settings of the simulated virt-api's webhooks, as virt-operator registers KubeVirt's
// (NewVirtAPIMutatingWebhookConfiguration and NewVirtAPIValidatingWebhookConfiguration in
// pkg/virt-operator/resource/generate/components/webhooks.go, v1.7.0), except a shorter timeout: the
// simulator answers locally or not at all.
const (
	vmMutatorName         = "virtualmachines-mutator.kubevirt.io"
	vmMutatePath          = "/virtualmachines-mutate"
	vmValidatorName       = "virtualmachine-validator.kubevirt.io"
	vmValidatePath        = "/virtualmachines-validate"
	webhookTimeout  int32 = 5
	// cleanupTimeout bounds the removal of the configuration when the simulator stops.
	cleanupTimeout = 10 * time.Second
)

// virtAPI is the simulated virt-api: an HTTPS server on a free loopback port with a certificate of its own
// CA, answering the apiserver's admission reviews for VirtualMachines, and the Mutating- and
// ValidatingWebhookConfiguration that send them there. It is a manager Runnable only to clean up: serving and registering happen in
// startVirtAPI, before Setup returns, so no VirtualMachine can be created between the simulator's start
// and its webhook's.
type virtAPI struct {
	c      client.Client
	faults faultReader
	name   string
	server *http.Server
	served chan error
}

// startVirtAPI serves the webhook and registers it. Configurations left by simulators that are gone (their
// server no longer answers) are deleted first: with failurePolicy Fail they would block every VM create.
func startVirtAPI(ctx context.Context, c client.Client) (*virtAPI, error) {
	ca, serving, err := newServingCerts()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the simulated virt-api: %w", err)
	}
	mux := http.NewServeMux()
	v := &virtAPI{
		c: c,
		// Faults are read live: the VM being admitted is new, and its Wukong may be too new for a cache.
		faults: faultReader{c: c},
		name:   "sim-virt-api-" + randomUUID()[:8],
		server: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			TLSConfig:         &tls.Config{Certificates: []tls.Certificate{serving}, MinVersion: tls.VersionTLS12},
		},
		served: make(chan error, 1),
	}
	mux.Handle(vmMutatePath, &admission.Webhook{Handler: admission.HandlerFunc(handleVMMutation)})
	mux.Handle(vmValidatePath, &admission.Webhook{Handler: admission.HandlerFunc(v.handleVMValidation)})
	mux.Handle(dvMutatePath, &admission.Webhook{Handler: admission.HandlerFunc(v.handleDataVolumeMutation)})
	go func() { v.served <- v.server.ServeTLS(ln, "", "") }()

	if err := deleteStaleVirtAPIs(ctx, c); err != nil {
		_ = v.server.Close()
		return nil, err
	}
	cfg := v.configuration("https://"+ln.Addr().String(), ca)
	if err := c.Create(ctx, cfg); err != nil {
		_ = v.server.Close()
		return nil, fmt.Errorf("register MutatingWebhookConfiguration %s: %w", v.name, err)
	}
	if err := c.Create(ctx, v.validatingConfiguration("https://"+ln.Addr().String()+vmValidatePath, ca)); err != nil {
		v.unregister()
		_ = v.server.Close()
		return nil, fmt.Errorf("register ValidatingWebhookConfiguration %s: %w", v.name, err)
	}
	return v, nil
}

// validatingConfiguration registers KubeVirt's VM validator ("virtualmachine-validator.kubevirt.io", CREATE
// and UPDATE of VirtualMachines, failurePolicy Fail) at url.
func (v *virtAPI) validatingConfiguration(url string, ca []byte) *admissionregistrationv1.ValidatingWebhookConfiguration {
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	timeout := webhookTimeout
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: v.name, Labels: map[string]string{LabelVirtAPIWebhook: "true"}},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    vmValidatorName,
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			TimeoutSeconds:          &timeout,
			Rules:                   vmRules(),
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca},
		}},
	}
}

// vmRules are the requests both of virt-api's VM webhooks receive: CREATE and UPDATE of VirtualMachines.
func vmRules() []admissionregistrationv1.RuleWithOperations {
	return []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule: admissionregistrationv1.Rule{
			APIGroups:   []string{kubevirtv1.SchemeGroupVersion.Group},
			APIVersions: []string{kubevirtv1.SchemeGroupVersion.Version},
			Resources:   []string{"virtualmachines"},
		},
	}}
}

// configuration registers the mutating webhooks served at base (https://host:port): virt-api's VM mutator
// and CDI's DataVolume mutator, trusted through the PEM bundle ca.
func (v *virtAPI) configuration(base string, ca []byte) *admissionregistrationv1.MutatingWebhookConfiguration {
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	timeout := webhookTimeout
	hook := func(name, path string, rules []admissionregistrationv1.RuleWithOperations) admissionregistrationv1.MutatingWebhook {
		url := base + path
		return admissionregistrationv1.MutatingWebhook{
			Name:                    name,
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			TimeoutSeconds:          &timeout,
			Rules:                   rules,
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca},
		}
	}
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: v.name, Labels: map[string]string{LabelVirtAPIWebhook: "true"}},
		Webhooks: []admissionregistrationv1.MutatingWebhook{
			hook(vmMutatorName, vmMutatePath, vmRules()),
			hook(dvMutatorName, dvMutatePath, dvRules()),
		},
	}
}

// Start waits for the manager to stop, then unregisters the webhook before its server goes, so a stopped
// simulator never leaves VM creates failing.
func (v *virtAPI) Start(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case err := <-v.served:
		// The server died: the registration would fail every VM write, so remove it and report.
		v.unregister()
		return fmt.Errorf("simulated virt-api stopped serving: %w", err)
	}
	v.unregister()
	shutdown, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	return v.server.Shutdown(shutdown)
}

// NeedLeaderElection is false: the cleanup must run in every manager that registered a webhook.
func (v *virtAPI) NeedLeaderElection() bool { return false }

func (v *virtAPI) unregister() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	meta := metav1.ObjectMeta{Name: v.name}
	for _, cfg := range []client.Object{
		&admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: meta},
		&admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: meta},
	} {
		if err := v.c.Delete(ctx, cfg); client.IgnoreNotFound(err) != nil {
			log.FromContext(ctx).Error(err, "unregister the simulated virt-api webhook", "configuration", v.name)
		}
	}
}

// deleteStaleVirtAPIs removes the configurations of simulators whose server no longer answers with a
// certificate the configuration trusts (the process is gone, or another took its port). A live simulator
// serves before it registers, so its configuration is never taken for stale.
func deleteStaleVirtAPIs(ctx context.Context, c client.Client) error {
	var mutating admissionregistrationv1.MutatingWebhookConfigurationList
	if err := c.List(ctx, &mutating, client.HasLabels{LabelVirtAPIWebhook}); err != nil {
		return fmt.Errorf("list simulated virt-api webhooks: %w", err)
	}
	var validating admissionregistrationv1.ValidatingWebhookConfigurationList
	if err := c.List(ctx, &validating, client.HasLabels{LabelVirtAPIWebhook}); err != nil {
		return fmt.Errorf("list simulated virt-api webhooks: %w", err)
	}
	var stale []client.Object
	for i := range mutating.Items {
		if cfg := &mutating.Items[i]; len(cfg.Webhooks) > 0 && !answers(cfg.Webhooks[0].ClientConfig) {
			stale = append(stale, cfg)
		}
	}
	for i := range validating.Items {
		if cfg := &validating.Items[i]; len(cfg.Webhooks) > 0 && !answers(cfg.Webhooks[0].ClientConfig) {
			stale = append(stale, cfg)
		}
	}
	for _, cfg := range stale {
		uid := cfg.GetUID()
		if err := c.Delete(ctx, cfg, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete stale webhook %s: %w", cfg.GetName(), err)
		}
	}
	return nil
}

// answers reports whether a TLS server trusted by cc's caBundle listens at cc's URL.
func answers(cc admissionregistrationv1.WebhookClientConfig) bool {
	if cc.URL == nil {
		// Not one of ours: a service reference is left alone.
		return true
	}
	u, err := url.Parse(*cc.URL)
	if err != nil {
		return false
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(cc.CABundle) {
		return false
	}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: time.Second}, Config: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	conn, err := dialer.Dial("tcp", u.Host)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// handleVMMutation answers one admission review for a VirtualMachine with mutateVM's patch.
func handleVMMutation(_ context.Context, req admission.Request) admission.Response {
	if req.Resource.Group != kubevirtv1.SchemeGroupVersion.Group || req.Resource.Resource != "virtualmachines" {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("expect resource to be 'virtualmachines'"))
	}
	var vm kubevirtv1.VirtualMachine
	if err := json.Unmarshal(req.Object.Raw, &vm); err != nil {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("decode VirtualMachine: %w", err))
	}
	ops := mutateVM(req.Operation, &vm, randomUUID)
	resp := admission.Allowed("")
	if len(ops) == 0 {
		return resp
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = patch, &pt
	return resp
}

// handleVMValidation answers one admission review for a VirtualMachine as KubeVirt's VM validator does
// (validateVM), after the refusal a test injects with AnnotationRefuseVM. A VM being deleted is admitted
// unchecked, as in KubeVirt (VMsAdmitter.Admit). Each answer is counted (VMAdmissions).
func (v *virtAPI) handleVMValidation(ctx context.Context, req admission.Request) admission.Response {
	if req.Resource.Group != kubevirtv1.SchemeGroupVersion.Group || req.Resource.Resource != "virtualmachines" {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("expect resource to be 'virtualmachines'"))
	}
	var vm kubevirtv1.VirtualMachine
	if err := json.Unmarshal(req.Object.Raw, &vm); err != nil {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("decode VirtualMachine: %w", err))
	}
	if vm.DeletionTimestamp != nil {
		return admission.Allowed("")
	}
	vm.Namespace = req.Namespace
	faults, err := v.faults.values(ctx, &vm, AnnotationRefuseVM)
	if err != nil {
		// A failed read is the webhook failing, which the apiserver reports as an internal error: transient.
		return admission.Errored(http.StatusInternalServerError, err)
	}
	causes := validateVM(&vm)
	if msg, ok := faults[AnnotationRefuseVM]; ok {
		causes = append([]metav1.StatusCause{{Type: metav1.CauseTypeFieldValueInvalid, Message: msg,
			Field: "metadata.annotations[" + AnnotationRefuseVM + "]"}}, causes...)
	}
	countAdmission(req.Namespace, string(req.Operation), len(causes) == 0)
	if len(causes) == 0 {
		return admission.Allowed("")
	}
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: refusal(causes)}}
}

// newServingCerts makes a CA and a serving certificate for 127.0.0.1 signed by it; it returns the CA as PEM
// (the webhook's caBundle) and the serving key pair.
func newServingCerts() (caPEM []byte, serving tls.Certificate, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "wukong simulated virt-api CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("generate serving key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("create serving certificate: %w", err)
	}
	serving = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), serving, nil
}
