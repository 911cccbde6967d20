package redact

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no credentials", "member web-1: spec.cpu: Invalid value: 0", "member web-1: spec.cpu: Invalid value: 0"},
		{"plain URL", "image https://host/disk.qcow2 failed", "image https://host/disk.qcow2 failed"},
		{"user and password", "https://user:PASSWORD@host/disk1.qcow2", "https://user:" + Mask + "@host/disk1.qcow2"},
		{"token as user", "http://ghp_TOKEN@host/x.img", "http://" + Mask + "@host/x.img"},
		{"docker", "docker://bob:PASSWORD@registry:5000/img:1", "docker://bob:" + Mask + "@registry:5000/img:1"},
		{"two URLs", "a https://u:P1@h/x and http://v:P2@k/y", "a https://u:" + Mask + "@h/x and http://v:" + Mask + "@k/y"},
		{"password with colon", "https://u:PASS:WORD@h/x", "https://u:" + Mask + "@h/x"},
		{"email stays", "contact admin@example.com", "contact admin@example.com"},
		{"query token", "https://h/x.qcow2?token=SECRET123&size=1", "https://h/x.qcow2?token=" + Mask + "&size=1"},
		{"S3 presigned", "https://b.s3/x?X-Amz-Credential=AKIA&X-Amz-Signature=abcdef&X-Amz-Expires=60",
			"https://b.s3/x?X-Amz-Credential=" + Mask + "&X-Amz-Signature=" + Mask + "&X-Amz-Expires=60"},
		{"Azure SAS", "https://a.blob/x?sv=2020&sig=ABC%2Bdef", "https://a.blob/x?sv=2020&sig=" + Mask},
		{"quoted by the apiserver", `Wukong.vm.novasphere.dev "web-2" is invalid: spec.disks[0].image: Invalid value: "https://user:PASSWORD@host/disk2.qcow2": image must start with docker://`,
			`Wukong.vm.novasphere.dev "web-2" is invalid: spec.disks[0].image: Invalid value: "` + Mask + `": image must start with docker://`},
		{"quoted without scheme", `spec.disks[0].image: Invalid value: "user:PASSWORD@host/d.qcow2": must match`,
			`spec.disks[0].image: Invalid value: "` + Mask + `": must match`},
		{"quoted with escaped quote", `spec.disks[0].image: Invalid value: "a\"PASSWORD": bad`, `spec.disks[0].image: Invalid value: "` + Mask + `": bad`},
		{"other field quoted stays", `spec.hostname: Invalid value: "web_1": a lowercase RFC 1123 label`, `spec.hostname: Invalid value: "web_1": a lowercase RFC 1123 label`},
		{"inside JSON-ish quotes", `"https://user:PASSWORD@host/d"`, `"https://user:` + Mask + `@host/d"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if strings.Contains(String(tc.in), "PASSWORD") || strings.Contains(String(tc.in), "SECRET123") {
				t.Errorf("credential left in %q", String(tc.in))
			}
		})
	}
}

func TestError(t *testing.T) {
	if Error(nil) != nil {
		t.Fatal("Error(nil) is not nil")
	}
	inner := apierrors.NewInvalid(schema.GroupKind{Group: "vm.novasphere.dev", Kind: "Wukong"}, "web-1", field.ErrorList{
		field.Invalid(field.NewPath("spec", "disks").Index(0).Child("image"), "https://u:PASSWORD@h/d", "bad"),
	})
	err := Error(fmt.Errorf("create Wukong web-1: %w", inner))
	if strings.Contains(err.Error(), "PASSWORD") {
		t.Fatalf("password in %q", err)
	}
	if !apierrors.IsInvalid(err) || !errors.Is(err, inner) {
		t.Fatalf("redacted error no longer unwraps to the apiserver's: %v", err)
	}
	if Error(err) != err { //nolint:errorlint // identity: the same error, not one wrapping it
		t.Fatal("redacting twice wraps twice")
	}
}
