// Package webhook is the WukongSet validating admission webhook: the manager serves it so that a set whose
// template does not compile, names an unknown variable, or renders an invalid member at some index is refused
// by the apiserver when it is applied, naming the field and the expression, instead of being stored and only
// reported later in the set's status. docs/admission.md explains the choice and the failure policy.
//
// The manager manages the webhook's certificates itself: a self-signed CA and a serving certificate kept in
// a Secret in its namespace (so replicas and restarts share them), renewed well before they expire, with the
// CA bundle written into the ValidatingWebhookConfiguration. In a cluster the configuration is installed
// with the operator (config/webhook, the Helm chart) and points at a Service; outside it (tests, make demo)
// the manager registers the configuration itself with a URL on the address it serves on.
package webhook

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Names shared by the installs and the manager.
const (
	// ConfigurationName is the ValidatingWebhookConfiguration. It is cluster-scoped and fixed, because the
	// manager's ClusterRole (generated from the markers below) may update only this one.
	ConfigurationName = "wukong-validating-webhook"
	// WebhookName is the webhook's name inside the configuration.
	WebhookName = "wukongsets.vm.novasphere.dev"
	// Path is where the manager serves the webhook.
	Path = "/validate-vm-novasphere-dev-v1alpha1-wukongset"
	// LabelDisableValidation on a namespace, set to "true", exempts its WukongSets from the webhook: a
	// break-glass for a webhook that refuses what it should not. The controller still checks every member
	// before it creates anything and reports an invalid template in the set's status (InvalidTemplate).
	LabelDisableValidation = "vm.novasphere.dev/disable-validation"
	// DefaultPort is the webhook's port in a cluster.
	DefaultPort = 9443
	// DefaultServiceName and DefaultSecretName are the Service and Secret config/default installs (after its
	// namePrefix); the Helm chart passes its own with the flags.
	DefaultServiceName = "wukong-webhook-service"
	DefaultSecretName  = "wukong-webhook-cert"
)

// timeoutSeconds is how long the apiserver waits for an answer: the most it allows. A set of ten thousand
// members whose spec differs per member takes a few seconds to check on two cores (docs/admission.md).
const timeoutSeconds int32 = 30

// Options configure the webhook.
type Options struct {
	// Port is the port the webhook serves on; 0 picks a free one (useful with SelfRegister only, which tells
	// the apiserver), a negative port disables the webhook.
	Port int
	// Host is the address to listen on; empty means every interface (in a pod).
	Host string
	// Namespace holds the certificate Secret and the Service. Empty means the pod's namespace ($POD_NAMESPACE
	// or the service account's namespace file); outside a pod with no namespace the webhook is disabled.
	Namespace string
	// ServiceName is the Service in front of the manager's pods; the serving certificate names it.
	ServiceName string
	// SecretName is the Secret that holds the CA and the serving certificate.
	SecretName string
	// SelfRegister makes the manager create and own the ValidatingWebhookConfiguration with a URL
	// clientConfig, https://<Host>:<port><Path>, and remove it when it stops: for a manager running outside
	// the cluster next to a local apiserver. Without it the manager only writes the installed
	// configuration's CA bundle.
	SelfRegister bool
	// ResyncInterval is how often the certificates are checked for renewal and the configuration for its CA
	// bundle.
	ResyncInterval time.Duration
}

// DefaultOptions are the defaults of the manager's webhook flags.
func DefaultOptions() Options {
	return Options{Port: DefaultPort, ServiceName: DefaultServiceName, SecretName: DefaultSecretName, ResyncInterval: 10 * time.Minute}
}

// serviceAccountNamespace is where Kubernetes mounts the pod's namespace.
const serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// namespace resolves Options.Namespace; ok is false outside a pod when none was given.
func (o Options) namespace() (string, bool) {
	if o.Namespace != "" {
		return o.Namespace, true
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns, true
	}
	if raw, err := os.ReadFile(serviceAccountNamespace); err == nil && strings.TrimSpace(string(raw)) != "" {
		return strings.TrimSpace(string(raw)), true
	}
	return "", false
}

func (o Options) validate() error {
	if o.ServiceName == "" || o.SecretName == "" {
		return fmt.Errorf("webhook: the Service and Secret names must not be empty")
	}
	if o.Port == 0 && !o.SelfRegister {
		return fmt.Errorf("webhook: port 0 (a free port) needs self-registration, which tells the apiserver the port")
	}
	if o.SelfRegister && o.Host == "" {
		return fmt.Errorf("webhook: self-registration needs the host the apiserver reaches the manager at (--webhook-host)")
	}
	if o.ResyncInterval <= 0 {
		return fmt.Errorf("webhook: resync interval %s must be positive", o.ResyncInterval)
	}
	return nil
}
