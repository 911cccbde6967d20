package cloudinit

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSecret(t *testing.T) {
	w := wukong()
	creds := Credentials{SSHAuthorizedKeys: []string{keyC}}
	got, err := Secret(w, creds)
	if err != nil {
		t.Fatalf("Secret: %v", err)
	}
	userData, _ := UserData(w, creds)
	networkData, _ := NetworkData(w)
	yes := true
	want := &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-0-cloudinit", Namespace: "prod",
			Labels: map[string]string{"vm.novasphere.dev/wukong": "web-0"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "Wukong", Name: "web-0", UID: "uid-1",
				Controller: &yes, BlockOwnerDeletion: &yes,
			}},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"userdata": []byte(userData), "networkdata": []byte(networkData)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Secret\n got: %+v\nwant: %+v", got, want)
	}
	if again, _ := Secret(w, creds); !reflect.DeepEqual(got, again) {
		t.Error("Secret is not deterministic")
	}
	if !strings.Contains(string(got.Data[UserDataKey]), keyC) {
		t.Error("credentials' key missing from the user data")
	}
}

func TestSecretErrorHidesCredentials(t *testing.T) {
	w := wukong()
	w.Spec.Networks[0].Name = "default"
	_, err := Secret(w, Credentials{PasswordHash: "$6$secret$x"})
	if err == nil {
		t.Fatal("want an error for a network named default")
	}
	if strings.Contains(err.Error(), "$6$") || strings.Contains(err.Error(), "ssh-") {
		t.Errorf("error leaks credentials: %v", err)
	}
}
