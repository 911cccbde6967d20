package samples

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/novasphere/wukong/test/testenv"
)

// Apply creates every object of a multi-document YAML file under config/samples (a path relative to it), as
// `kubectl create -f` would; objects that exist already are left as they are.
func Apply(ctx context.Context, c client.Client, file string) error {
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", file))
	if err != nil {
		return err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("decode %s: %w", file, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if err := c.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s: create %s %s: %w", file, u.GetKind(), u.GetName(), err)
		}
	}
}

// ApplyGoldenImage publishes the golden image the worker samples clone, with the RBAC that lets the operator
// clone it into other namespaces, by applying config/samples/golden-images/ubuntu-22.04.yaml.
func ApplyGoldenImage(ctx context.Context, c client.Client) error {
	return Apply(ctx, c, filepath.Join("golden-images", "ubuntu-22.04.yaml"))
}
