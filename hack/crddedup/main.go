// Command crddedup drops repeated versions from generated CRD files. controller-gen emits the
// VirtualMachineInstance version twice (once from our test declaration, once from KubeVirt's own package,
// which shares the group and version); the API server rejects a CRD with a repeated version name.
package main

import (
	"fmt"
	"os"
	"strings"

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

// ours reports whether a version comes from the test declarations in test/crds (their doc comments say
// "mirrors").
func ours(v apiextensionsv1.CustomResourceDefinitionVersion) bool {
	return v.Schema != nil && v.Schema.OpenAPIV3Schema != nil &&
		strings.Contains(v.Schema.OpenAPIV3Schema.Description, " mirrors ")
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
		case ours(v) && !ours(kept[i]):
			// controller-gen emits the two in no fixed order; keeping our own declaration makes the output
			// deterministic, which the generated-files drift check needs.
			kept[i].Schema = v.Schema
		}
		if kept[i].Subresources == nil {
			kept[i].Subresources = v.Subresources
		}
		// The project's own declaration carries its printer columns; ours has none. Taking them whichever
		// comes first keeps the output the same for either order.
		if len(kept[i].AdditionalPrinterColumns) == 0 {
			kept[i].AdditionalPrinterColumns = v.AdditionalPrinterColumns
		}
	}
	if len(kept) == len(crd.Spec.Versions) {
		return nil
	}
	if len(kept) == 1 {
		kept[0].Served, kept[0].Storage = true, true
	}
	crd.Spec.Versions = kept
	out, err := yaml.Marshal(&crd)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte("---\n"), out...), 0o644)
}
