// Package deploy checks the deployment examples a user copies from this directory.
package deploy

import (
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestManifestsDecodeStrictly decodes every Kubernetes manifest into its API type, refusing unknown or
// misplaced fields, and checks what the examples promise.
func TestManifestsDecodeStrictly(t *testing.T) {
	var d appsv1.Deployment
	decode(t, "kubernetes/deployment.yaml", &d)
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("deployment strategy %q, want Recreate (one instance per connector)", d.Spec.Strategy.Type)
	}
	checkRestricted(t, "deployment", d.Spec.Template.Spec)
	if c := d.Spec.Template.Spec.Containers[0]; c.LivenessProbe == nil || c.LivenessProbe.Exec == nil {
		t.Error("deployment: no liveness probe on the SDK's health check")
	}

	var c batchv1.CronJob
	decode(t, "kubernetes/cronjob.yaml", &c)
	checkRestricted(t, "cronjob", c.Spec.JobTemplate.Spec.Template.Spec)

	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) != 2 {
		t.Errorf("kubernetes/ holds %v (%v): add a decoding check for each new manifest", files, err)
	}
}

func decode(t *testing.T, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(raw, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkRestricted checks the pod against the "restricted" Pod Security level's rules.
func checkRestricted(t *testing.T, name string, pod corev1.PodSpec) {
	t.Helper()
	sc := pod.SecurityContext
	if sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccompProfile is not RuntimeDefault", name)
	}
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: runAsNonRoot is not set", name)
	}
	for _, c := range pod.Containers {
		csc := c.SecurityContext
		if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
			csc.Capabilities == nil || len(csc.Capabilities.Drop) != 1 || csc.Capabilities.Drop[0] != "ALL" {
			t.Errorf("%s: container %s must disallow privilege escalation and drop ALL capabilities", name, c.Name)
		}
		if c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: container %s has no memory limit", name, c.Name)
		}
	}
}
