// Package kubeconfig is the one way every wukong command finds its cluster, kubectl's: the explicit path
// (--kubeconfig), else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account. The manager,
// create-vm and the rollout commands all load it here, so a kubeconfig that works for one works for all.
package kubeconfig

import "k8s.io/client-go/tools/clientcmd"

// Load returns the client configuration for path ("" for the defaults above) with overrides (nil for
// none: --context, --namespace and the like, as kubectl binds them). Nothing is read until it is used, and
// it never prompts.
func Load(path string, overrides *clientcmd.ConfigOverrides) clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	if overrides == nil {
		overrides = &clientcmd.ConfigOverrides{}
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}
