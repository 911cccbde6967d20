package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// CDI's DataVolume mutating webhook, as cdi-operator registers it (createDataVolumeMutatingWebhook in
// pkg/operator/resources/cluster/apiserver.go, CDI v1.63.1: CREATE and UPDATE of datavolumes, failurePolicy
// Fail). The simulator serves it next to virt-api's, from the same server and configuration.
const (
	dvMutatorName = "datavolume-mutate.cdi.kubevirt.io"
	dvMutatePath  = "/datavolume-mutate"
)

// dvRules are the requests CDI's DataVolume mutating webhook receives.
func dvRules() []admissionregistrationv1.RuleWithOperations {
	return []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule: admissionregistrationv1.Rule{
			APIGroups:   []string{cdiv1.SchemeGroupVersion.Group},
			APIVersions: []string{cdiv1.SchemeGroupVersion.Version},
			Resources:   []string{"datavolumes"},
		},
	}}
}

// cloneAuthProxy answers the questions CDI's clone authorization asks (cdiv1.AuthorizationHelperProxy), with
// live reads, as cdi-apiserver's authProxy does with its clientsets.
type cloneAuthProxy struct {
	ctx context.Context
	c   client.Client
}

func (p cloneAuthProxy) CreateSar(sar *authorizationv1.SubjectAccessReview) (*authorizationv1.SubjectAccessReview, error) {
	if err := p.c.Create(p.ctx, sar); err != nil {
		return nil, err
	}
	return sar, nil
}

func (p cloneAuthProxy) GetNamespace(name string) (*corev1.Namespace, error) {
	ns := &corev1.Namespace{}
	return ns, p.c.Get(p.ctx, types.NamespacedName{Name: name}, ns)
}

func (p cloneAuthProxy) GetDataSource(namespace, name string) (*cdiv1.DataSource, error) {
	ds := &cdiv1.DataSource{}
	return ds, p.c.Get(p.ctx, types.NamespacedName{Namespace: namespace, Name: name}, ds)
}

// handleDataVolumeMutation answers one admission review for a DataVolume as cdi-apiserver's
// dataVolumeMutatingWebhook.Admit does (pkg/apiserver/webhooks/datavolume-mutate.go, v1.63.1): a clone —
// source.pvc, or a sourceRef to a DataSource — is allowed only if the requesting user may clone from the
// source namespace, which CDI's own authorization code (DataVolume.AuthorizeUser from the CDI API module)
// decides through SubjectAccessReviews (create datavolumes/source, or create pods, in the source namespace);
// anything else is allowed. A refusal is CDI's: 422 with the reason as a cause on spec.source.PVC.namespace;
// a failed lookup (a DataSource that does not exist) is CDI's 400 with the error. CDI then adds a signed
// clone token annotation that its clone controller checks; the simulator's clone needs none, so it adds none.
func (v *virtAPI) handleDataVolumeMutation(ctx context.Context, req admission.Request) admission.Response {
	if req.Resource.Group != cdiv1.SchemeGroupVersion.Group || req.Resource.Resource != "datavolumes" {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("resource is %s, expected datavolumes", req.Resource.Resource))
	}
	dv := &cdiv1.DataVolume{}
	if err := json.Unmarshal(req.Object.Raw, dv); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if dv.DeletionTimestamp != nil {
		return admission.Allowed("")
	}
	resp, err := dv.AuthorizeUser(req.Namespace, req.Name, cloneAuthProxy{ctx: ctx, c: v.c}, req.UserInfo)
	if errors.Is(err, cdiv1.ErrNoTokenOkay) {
		return admission.Allowed("")
	}
	if err != nil {
		return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{
			Result: &metav1.Status{Message: err.Error(), Code: http.StatusBadRequest},
		}}
	}
	if !resp.Allowed {
		cause := metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid, Message: resp.Reason,
			Field: field.NewPath("spec", "source", "PVC", "namespace").String()}
		return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{
			// CDI joins its causes' messages, each after a space (toRejectedAdmissionResponse).
			Result: &metav1.Status{Message: " " + cause.Message, Code: http.StatusUnprocessableEntity,
				Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{cause}}},
		}}
	}
	return admission.Allowed("")
}
