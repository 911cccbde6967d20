package sim

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// faultReader reads the simulator's annotations from an object and from the Wukong that controls it.
type faultReader struct {
	c client.Reader
}

// values returns, for each key, obj's own annotation or else its owning Wukong's; keys set on neither are
// absent from the result.
func (f faultReader) values(ctx context.Context, obj client.Object, keys ...string) (map[string]string, error) {
	out := map[string]string{}
	var owner map[string]string
	if name := ownerWukong(obj); name != "" {
		var w vmv1alpha1.Wukong
		err := f.c.Get(ctx, types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}, &w)
		switch {
		case apierrors.IsNotFound(err):
			// An orphan in the making (the garbage collector has not caught up): only its own annotations count.
		case err != nil:
			return nil, fmt.Errorf("get owner Wukong %s: %w", name, err)
		default:
			owner = w.Annotations
		}
	}
	own := obj.GetAnnotations()
	for _, k := range keys {
		if v, ok := own[k]; ok {
			out[k] = v
		} else if v, ok := owner[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}
