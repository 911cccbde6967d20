// Command crddedup drops repeated versions from generated CRD files. controller-gen emits the
// VirtualMachineInstance version twice (once from our test declaration, once from KubeVirt's own package,
// which shares the group and version); the API server rejects a CRD with a repeated version name.
package main

import (
	"fmt"
	"os"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

func main() {
	for _, path := range os.Args[1:] {
		if err := dedup(path); err != nil {
			fmt.Fprintf(os.Stderr, "crddedup: %s: %v\n", path, err)
			os.Exit(1)
		}
	}
}

func dedup(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		return err
	}
	seen := map[string]int{}
	var kept []apiextensionsv1.CustomResourceDefinitionVersion
	for _, v := range crd.Spec.Versions {
		i, dup := seen[v.Name]
		switch {
		case !dup:
			seen[v.Name] = len(kept)
			kept = append(kept, v)
		case v.Storage && !kept[i].Storage:
			kept[i] = v
		}
	}
	if len(kept) == len(crd.Spec.Versions) {
		return nil
	}
	crd.Spec.Versions = kept
	out, err := yaml.Marshal(&crd)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte("---\n"), out...), 0o644)
}
