package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"sync/atomic"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// certSync keeps the certificate Secret, the configuration's CA bundle and the served certificate in step.
type certSync struct {
	// reader reads uncached: the manager caches only its own cloud-init Secrets and no webhook
	// configurations.
	reader client.Reader
	writer client.Client
	opts   Options
	hosts  []string
	life   lifetimes
	// url is the self-registered configuration's URL; empty when the configuration is installed.
	url string
	// now is the clock; nil means time.Now.
	now func() time.Time

	current atomic.Pointer[tls.Certificate]
}

// sync makes sure the Secret holds a CA and a serving certificate valid for long enough (creating or
// renewing them, optimistic concurrency against other replicas), writes the CA bundle into the
// configuration, and only then serves the Secret's certificate, so the apiserver never gets a certificate
// its bundle does not trust.
func (c *certSync) sync(ctx context.Context) error {
	var secret *corev1.Secret
	err := retry.OnError(retry.DefaultRetry, func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)
	}, func() error {
		var err error
		secret, err = c.ensureSecret(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if err := c.ensureConfiguration(ctx, secret.Data[keyCABundle]); err != nil {
		return err
	}
	pair, err := tls.X509KeyPair(secret.Data[keyCert], secret.Data[keyKey])
	if err != nil {
		return fmt.Errorf("load the serving certificate of Secret %s/%s: %w", secret.Namespace, secret.Name, err)
	}
	c.current.Store(&pair)
	return nil
}

func (c *certSync) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// ensureSecret returns the Secret with valid certificates, creating or renewing them.
func (c *certSync) ensureSecret(ctx context.Context) (*corev1.Secret, error) {
	key := client.ObjectKey{Namespace: c.opts.Namespace, Name: c.opts.SecretName}
	secret := &corev1.Secret{}
	err := c.reader.Get(ctx, key, secret)
	if apierrors.IsNotFound(err) {
		data, _, err := renew(nil, c.hosts, c.clock(), c.life)
		if err != nil {
			return nil, err
		}
		secret = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name,
				Labels: map[string]string{"app.kubernetes.io/component": "webhook", "app.kubernetes.io/managed-by": "wukong"}},
			Type: corev1.SecretTypeTLS,
			Data: data,
		}
		if err := c.writer.Create(ctx, secret); err != nil {
			return nil, fmt.Errorf("create Secret %s: %w", key, err)
		}
		log.FromContext(ctx).Info("created the admission webhook's CA and serving certificate", "secret", key.String())
		return secret, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get Secret %s: %w", key, err)
	}
	data, changed, err := renew(secret.Data, c.hosts, c.clock(), c.life)
	if err != nil {
		return nil, err
	}
	if !changed {
		return secret, nil
	}
	secret.Data = data
	if err := c.writer.Update(ctx, secret); err != nil {
		return nil, fmt.Errorf("update Secret %s: %w", key, err)
	}
	log.FromContext(ctx).Info("renewed the admission webhook's certificates", "secret", key.String())
	return secret, nil
}

// ensureConfiguration writes caBundle into the configuration. Self-registered, the whole configuration is
// the manager's and is created or rewritten to Configuration; installed, only the CA bundles are written,
// and a missing configuration (an install without the webhook) is left missing.
func (c *certSync) ensureConfiguration(ctx context.Context, caBundle []byte) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		err := c.reader.Get(ctx, client.ObjectKey{Name: ConfigurationName}, cfg)
		if apierrors.IsNotFound(err) {
			if c.url == "" {
				log.FromContext(ctx).Info("no ValidatingWebhookConfiguration installed; sets are not checked on admission", "name", ConfigurationName)
				return nil
			}
			url := c.url
			want := Configuration(admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle})
			if err := c.writer.Create(ctx, want); err != nil {
				return fmt.Errorf("create ValidatingWebhookConfiguration %s: %w", ConfigurationName, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("get ValidatingWebhookConfiguration %s: %w", ConfigurationName, err)
		}
		updated := cfg.DeepCopy()
		if c.url != "" {
			url := c.url
			want := Configuration(admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle})
			updated.Webhooks = want.Webhooks
		} else {
			for i := range updated.Webhooks {
				updated.Webhooks[i].ClientConfig.CABundle = caBundle
			}
		}
		if equality.Semantic.DeepEqual(cfg.Webhooks, updated.Webhooks) && caBundlesEqual(cfg, caBundle) {
			return nil
		}
		if err := c.writer.Update(ctx, updated); err != nil {
			return fmt.Errorf("update ValidatingWebhookConfiguration %s: %w", ConfigurationName, err)
		}
		return nil
	})
}

func caBundlesEqual(cfg *admissionregistrationv1.ValidatingWebhookConfiguration, caBundle []byte) bool {
	for _, w := range cfg.Webhooks {
		if !bytes.Equal(w.ClientConfig.CABundle, caBundle) {
			return false
		}
	}
	return true
}

// unregister deletes a self-registered configuration while it still points at this manager; one that
// another manager has taken over since is left alone.
func (c *certSync) unregister(ctx context.Context) {
	if c.url == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := c.reader.Get(ctx, client.ObjectKey{Name: ConfigurationName}, cfg); err != nil {
		return
	}
	if len(cfg.Webhooks) == 0 || cfg.Webhooks[0].ClientConfig.URL == nil || *cfg.Webhooks[0].ClientConfig.URL != c.url {
		return
	}
	rv := cfg.ResourceVersion
	if err := c.writer.Delete(ctx, cfg, client.Preconditions{ResourceVersion: &rv}); client.IgnoreNotFound(err) != nil && !apierrors.IsConflict(err) {
		log.FromContext(ctx).Error(err, "remove the self-registered webhook configuration", "name", ConfigurationName)
	}
}
