package cloudinit

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/owner"
)

// Secret is the Secret the VM's cloudInitNoCloud volume reads: UserData under UserDataKey and NetworkData
// under NetworkDataKey. It is the only place the user data is written to.
func Secret(w *v1alpha1.Wukong, creds Credentials) (*corev1.Secret, error) {
	userData, err := UserData(w, creds)
	if err != nil {
		return nil, err
	}
	networkData, err := NetworkData(w)
	if err != nil {
		return nil, err
	}
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: owner.ObjectMeta(w, naming.CloudInitSecret(w.Name)),
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			UserDataKey:    []byte(userData),
			NetworkDataKey: []byte(networkData),
		},
	}, nil
}
