// Package deploy holds no code, only this test of the Kubernetes manifests:
// the etcd variant in deploy/kubernetes, the bbolt variant in
// deploy/kubernetes/bbolt and the example Ingress (the Slack and Teams
// manifests are tested next to the code they describe, in bot/slack and
// bot/teams).
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/muster-bot/muster/config"
)

// secretEnv is every secret muster reads from its environment.
var secretEnv = []string{
	"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
	"TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID",
	"ALERTMANAGER_TOKEN", "ALERT_TOKEN", "WEBHOOK_SECRET", "ETCD_PASSWORD", "MUSTER_API_TOKEN",
	"MUSTER_OIDC_CLIENT_SECRET", "STATUSPAGE_API_KEY",
	"JIRA_USER", "JIRA_API_TOKEN", "JIRA_WEBHOOK_SECRET", "GITHUB_TOKEN", "GITHUB_WEBHOOK_SECRET",
	"PAGERDUTY_API_TOKEN", "PAGERDUTY_WEBHOOK_SECRET", "OPSGENIE_API_KEY",
}

// object is the part of a Kubernetes object the test reads.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`       // ConfigMap
	StringData map[string]string `yaml:"stringData"` // Secret
	Resources  []string          `yaml:"resources"`  // Kustomization
	Spec       struct {
		Replicas     *int          `yaml:"replicas"`
		MinAvailable any           `yaml:"minAvailable"`
		Selector     yaml.Node     `yaml:"selector"`
		Ports        []servicePort `yaml:"ports"`
		Template     podTemplate   `yaml:"template"`
		Type         string        `yaml:"type"`
		Strategy     struct {
			Type string `yaml:"type"`
		} `yaml:"strategy"` // Deployment
		AccessModes []string `yaml:"accessModes"` // PersistentVolumeClaim
		Resources   struct {
			Requests map[string]string `yaml:"requests"`
		} `yaml:"resources"` // PersistentVolumeClaim
		IngressClassName string        `yaml:"ingressClassName"`
		TLS              []ingressTLS  `yaml:"tls"`
		Rules            []ingressRule `yaml:"rules"`
	} `yaml:"spec"`
}

type ingressTLS struct {
	Hosts      []string `yaml:"hosts"`
	SecretName string   `yaml:"secretName"`
}

type ingressRule struct {
	Host string `yaml:"host"`
	HTTP struct {
		Paths []struct {
			Path     string `yaml:"path"`
			PathType string `yaml:"pathType"`
			Backend  struct {
				Service struct {
					Name string `yaml:"name"`
					Port struct {
						Name   string `yaml:"name"`
						Number int    `yaml:"number"`
					} `yaml:"port"`
				} `yaml:"service"`
			} `yaml:"backend"`
		} `yaml:"paths"`
	} `yaml:"http"`
}

type servicePort struct {
	Name       string `yaml:"name"`
	Port       int    `yaml:"port"`
	TargetPort any    `yaml:"targetPort"`
}

type podTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsUser *int `yaml:"runAsUser"`
			FSGroup   *int `yaml:"fsGroup"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []struct {
			Name                  string `yaml:"name"`
			PersistentVolumeClaim *struct {
				ClaimName string `yaml:"claimName"`
			} `yaml:"persistentVolumeClaim"`
			ConfigMap *struct {
				Name  string `yaml:"name"`
				Items []struct {
					Key  string `yaml:"key"`
					Path string `yaml:"path"`
				} `yaml:"items"`
			} `yaml:"configMap"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	EnvFrom []struct {
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	StartupProbe   *probe `yaml:"startupProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
	FailureThreshold int `yaml:"failureThreshold"`
	PeriodSeconds    int `yaml:"periodSeconds"`
}

// manifests reads every YAML document of every file in dir (not below),
// keyed by file name.
func manifests(t *testing.T, dir string) map[string][]object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/%s (%v)", dir, err)
	}
	out := map[string][]object{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" {
				t.Errorf("%s: a document without kind", f)
			}
			out[filepath.Base(f)] = append(out[filepath.Base(f)], o)
		}
	}
	return out
}

// one returns the single object of kind in file.
func one(t *testing.T, all map[string][]object, file, kind string) object {
	t.Helper()
	var found []object
	for _, o := range all[file] {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d objects of kind %s, want 1", file, len(found), kind)
	}
	return found[0]
}

// matchLabels decodes a label selector's matchLabels.
func matchLabels(t *testing.T, n yaml.Node) map[string]string {
	t.Helper()
	var s struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	if err := n.Decode(&s); err != nil {
		t.Fatalf("selector: %v", err)
	}
	return s.MatchLabels
}

// selects reports whether a selector's labels all appear in labels.
func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return len(selector) > 0
}

// envTagged lists the environment variables of the fields of v tagged
// secret:"true", walking nested structs as config does.
func envTagged(v reflect.Type) []string {
	var out []string
	for i := range v.NumField() {
		f := v.Field(i)
		if name := f.Tag.Get("env"); name != "" && f.Tag.Get("secret") == "true" {
			out = append(out, name)
		}
		if f.Type.Kind() == reflect.Struct {
			out = append(out, envTagged(f.Type)...)
		}
	}
	return out
}

// TestKubernetes checks that the manifests in deploy/kubernetes fit
// together and fit muster: the ConfigMap's config loads with the Secret's
// values as the environment and selects etcd, the Deployment starts muster
// on that file and probes its real endpoints, the Secret holds exactly the
// secrets muster reads, and kustomization.yaml applies the rest.
func TestKubernetes(t *testing.T) {
	all := manifests(t, "kubernetes")
	cm := one(t, all, "configmap.yaml", "ConfigMap")
	secret := one(t, all, "secret.yaml", "Secret")
	deploy := one(t, all, "deployment.yaml", "Deployment")
	svc := one(t, all, "service.yaml", "Service")
	pdb := one(t, all, "pdb.yaml", "PodDisruptionBudget")
	kust := one(t, all, "kustomization.yaml", "Kustomization")

	t.Run("secret", func(t *testing.T) {
		// The list above is what config reads; it must not fall behind.
		reads := envTagged(reflect.TypeFor[config.Config]())
		sort.Strings(reads)
		want := slices.Sorted(slices.Values(secretEnv))
		if !slices.Equal(reads, want) {
			t.Errorf("config reads the secrets %q, the test knows %q", reads, want)
		}
		for name, value := range secret.StringData {
			if !slices.Contains(secretEnv, name) {
				t.Errorf("secret.yaml has %s, which muster does not read", name)
			}
			if value != "" && !strings.Contains(value, "REPLACE-ME") {
				t.Errorf("secret.yaml: %s = %q is not an obvious placeholder (REPLACE-ME)", name, value)
			}
		}
		for _, name := range secretEnv {
			if _, ok := secret.StringData[name]; !ok {
				t.Errorf("secret.yaml does not show %s", name)
			}
		}
	})

	var cfg *config.Config
	t.Run("configmap", func(t *testing.T) {
		cfg = loadConfigMap(t, cm, secret)
		if cfg.Store.Backend != "etcd" {
			t.Errorf("store.backend = %q, want etcd: replicas share nothing else", cfg.Store.Backend)
		}
		if len(cfg.Store.Etcd.Endpoints) < 3 {
			t.Errorf("store.etcd.endpoints = %q, want every member of a three-member cluster", cfg.Store.Etcd.Endpoints)
		}
	})

	t.Run("deployment", func(t *testing.T) {
		if r := deploy.Spec.Replicas; r == nil || *r < 2 {
			t.Errorf("replicas is below 2 or left out, want at least 2")
		}
		checkPod(t, deploy, cm, secret, cfg)
		c := deploy.Spec.Template.Spec.Containers[0]
		// An etcd outage must make replicas unready, never restart them:
		// only /readyz looks at the store.
		if c.StartupProbe != nil && c.StartupProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("startupProbe gets %s; it would hold a replica up on etcd, want /healthz", c.StartupProbe.HTTPGet.Path)
		}
	})

	t.Run("service and pdb", func(t *testing.T) {
		checkService(t, svc, deploy)
		labels := deploy.Spec.Template.Metadata.Labels
		if !selects(matchLabels(t, pdb.Spec.Selector), labels) {
			t.Errorf("the PodDisruptionBudget's selector does not match the pods' labels %v", labels)
		}
		if pdb.Spec.MinAvailable != 1 {
			t.Errorf("minAvailable = %v, want 1", pdb.Spec.MinAvailable)
		}
	})

	t.Run("kustomization", func(t *testing.T) {
		// Every other file, except the Secret, whose placeholders would
		// overwrite the Secret created by hand, and the Ingress, which
		// needs the operator's host first.
		checkKustomization(t, all, kust, "secret.yaml", "ingress.yaml")
	})
}

// TestKubernetesBbolt checks the single-replica variant in
// deploy/kubernetes/bbolt: its config loads and selects bbolt with the file
// on the volume, one replica replaced by Recreate (the file is held by one
// process), the volume a PersistentVolumeClaim the non-root user can
// write, and the same Secret and Service as the etcd variant.
func TestKubernetesBbolt(t *testing.T) {
	parent := manifests(t, "kubernetes")
	secret := one(t, parent, "secret.yaml", "Secret")
	all := manifests(t, "kubernetes/bbolt")
	cm := one(t, all, "configmap.yaml", "ConfigMap")
	deploy := one(t, all, "deployment.yaml", "Deployment")
	pvc := one(t, all, "pvc.yaml", "PersistentVolumeClaim")
	svc := one(t, all, "service.yaml", "Service")
	kust := one(t, all, "kustomization.yaml", "Kustomization")

	cfg := loadConfigMap(t, cm, secret)
	if cfg.Store.Backend != "bbolt" {
		t.Errorf("store.backend = %q, want bbolt", cfg.Store.Backend)
	}
	if !path.IsAbs(cfg.Store.Path) {
		t.Errorf("store.path = %q, want an absolute path on the volume", cfg.Store.Path)
	}

	if r := deploy.Spec.Replicas; r == nil || *r != 1 {
		t.Errorf("replicas is not 1: a second replica would stop at the bbolt file's lock")
	}
	if deploy.Spec.Strategy.Type != "Recreate" {
		t.Errorf("strategy = %q, want Recreate: the new pod must not start before the old one lets go of the file", deploy.Spec.Strategy.Type)
	}
	checkPod(t, deploy, cm, secret, cfg)

	pod := deploy.Spec.Template.Spec
	onClaim := ""
	for _, m := range pod.Containers[0].VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.PersistentVolumeClaim != nil && strings.HasPrefix(cfg.Store.Path, path.Clean(m.MountPath)+"/") {
				onClaim = v.PersistentVolumeClaim.ClaimName
			}
		}
	}
	if onClaim != pvc.Metadata.Name {
		t.Errorf("store.path %s is not on the PersistentVolumeClaim %s as mounted", cfg.Store.Path, pvc.Metadata.Name)
	}
	if g, u := pod.SecurityContext.FSGroup, pod.SecurityContext.RunAsUser; g == nil || u == nil || *g != *u {
		t.Errorf("securityContext.fsGroup is not the user muster runs as: it could not write a new volume")
	}
	if !slices.Contains(pvc.Spec.AccessModes, "ReadWriteOnce") || pvc.Spec.Resources.Requests["storage"] == "" {
		t.Errorf("PersistentVolumeClaim spec = %+v, want ReadWriteOnce and a storage request", pvc.Spec)
	}

	checkService(t, svc, deploy)
	if ps := one(t, parent, "service.yaml", "Service"); svc.Metadata.Name != ps.Metadata.Name || !reflect.DeepEqual(svc.Spec.Ports, ps.Spec.Ports) {
		t.Errorf("the Service differs from the etcd variant's, which ingress.yaml is written for")
	}
	if _, ok := all["pdb.yaml"]; ok {
		t.Errorf("a PodDisruptionBudget over one replica blocks node drains")
	}
	checkKustomization(t, all, kust)
}

// TestIngress checks the example Ingress: it routes every path Slack, Teams
// and Alertmanager call to the Service's port, keeps /metrics and the
// probes inside the cluster, and serves its host over TLS.
func TestIngress(t *testing.T) {
	all := manifests(t, "kubernetes")
	ing := one(t, all, "ingress.yaml", "Ingress")
	svc := one(t, all, "service.yaml", "Service")
	if len(ing.Spec.Rules) != 1 {
		t.Fatalf("%d rules, want 1", len(ing.Spec.Rules))
	}
	rule := ing.Spec.Rules[0]
	routed := func(p string) bool {
		for _, r := range rule.HTTP.Paths {
			b := r.Backend.Service
			toService := b.Name == svc.Metadata.Name && (b.Port.Name == svc.Spec.Ports[0].Name || b.Port.Number == svc.Spec.Ports[0].Port)
			switch {
			case !toService:
			case r.PathType == "Exact" && p == r.Path:
				return true
			case r.PathType == "Prefix" && (p == strings.TrimSuffix(r.Path, "/") || strings.HasPrefix(p, strings.TrimSuffix(r.Path, "/")+"/")):
				return true
			}
		}
		return false
	}
	for _, p := range []string{"/slack/commands", "/slack/interactions", "/slack/events", "/api/messages", "/hooks/alertmanager"} {
		if !routed(p) {
			t.Errorf("%s is not routed to the Service %s", p, svc.Metadata.Name)
		}
	}
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		if routed(p) {
			t.Errorf("%s is exposed outside the cluster", p)
		}
	}
	if len(ing.Spec.TLS) != 1 || !slices.Contains(ing.Spec.TLS[0].Hosts, rule.Host) || ing.Spec.TLS[0].SecretName == "" {
		t.Errorf("tls = %+v, want the host %s with a certificate Secret", ing.Spec.TLS, rule.Host)
	}
}

// loadConfigMap loads the ConfigMap's muster.yaml through config.Load, with
// the Secret's values as the environment.
func loadConfigMap(t *testing.T, cm, secret object) *config.Config {
	t.Helper()
	data, ok := cm.Data["muster.yaml"]
	if !ok {
		t.Fatalf("ConfigMap %s has no muster.yaml", cm.Metadata.Name)
	}
	file := filepath.Join(t.TempDir(), "muster.yaml")
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(name string) string { return secret.StringData[name] }
	c, err := config.Load(file, getenv)
	if err != nil {
		t.Fatalf("the ConfigMap's muster.yaml with the Secret's values: %v", err)
	}
	if !c.SlackEnabled() {
		t.Errorf("Slack is not enabled by the Secret's placeholders; `serve` would refuse to start")
	}
	if err := c.PagesRefused(c.HTTP.Listen); err != nil {
		t.Errorf("`serve` would refuse to start: %v", err)
	}
	return c
}

// checkPod checks what both variants' Deployments share: the pod runs
// `muster --config <the ConfigMap's file> serve` with the Secret as its
// environment, on port 8080 named http, probed on /readyz and /healthz,
// drained for long enough, without privileges.
func checkPod(t *testing.T, deploy, cm, secret object, cfg *config.Config) {
	t.Helper()
	pod := deploy.Spec.Template
	if !selects(matchLabels(t, deploy.Spec.Selector), pod.Metadata.Labels) {
		t.Errorf("the Deployment's selector does not match its pods' labels %v", pod.Metadata.Labels)
	}
	if g := pod.Spec.TerminationGracePeriodSeconds; g < 25 {
		t.Errorf("terminationGracePeriodSeconds = %d; muster may take about 25 s to drain", g)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]

	// muster --config <file> serve (flags may also follow the command).
	if len(c.Args) != 3 || c.Args[0] != "--config" || c.Args[2] != "serve" {
		t.Fatalf("args = %q, want [--config <file> serve]", c.Args)
	}
	file := c.Args[1]
	served := ""
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Spec.Volumes {
			if v.Name != m.Name || v.ConfigMap == nil || v.ConfigMap.Name != cm.Metadata.Name {
				continue
			}
			for _, it := range v.ConfigMap.Items {
				if _, ok := cm.Data[it.Key]; ok && path.Join(m.MountPath, it.Path) == file {
					served = it.Key
				}
			}
			if len(v.ConfigMap.Items) == 0 && path.Dir(file) == path.Clean(m.MountPath) {
				if _, ok := cm.Data[path.Base(file)]; ok {
					served = path.Base(file)
				}
			}
		}
	}
	if served != "muster.yaml" {
		t.Errorf("--config %s is not the ConfigMap's muster.yaml as mounted", file)
	}

	var fromSecret bool
	for _, e := range c.EnvFrom {
		fromSecret = fromSecret || (e.SecretRef != nil && e.SecretRef.Name == secret.Metadata.Name)
	}
	if !fromSecret {
		t.Errorf("the container does not take its environment from the Secret %s", secret.Metadata.Name)
	}

	port := ""
	for _, p := range c.Ports {
		if p.ContainerPort == 8080 {
			port = p.Name
		}
	}
	if port != "http" {
		t.Errorf("ports = %+v, want 8080 named http", c.Ports)
	}
	if cfg != nil && !strings.HasSuffix(cfg.HTTP.Listen, ":8080") {
		t.Errorf("http.listen = %q, but the container port is 8080", cfg.HTTP.Listen)
	}
	for _, p := range []struct {
		name string
		p    *probe
		path string
	}{{"readinessProbe", c.ReadinessProbe, "/readyz"}, {"livenessProbe", c.LivenessProbe, "/healthz"}} {
		if p.p == nil {
			t.Errorf("no %s", p.name)
			continue
		}
		if p.p.HTTPGet.Path != p.path || (p.p.HTTPGet.Port != "http" && p.p.HTTPGet.Port != 8080) {
			t.Errorf("%s gets %s on port %v, want %s on http", p.name, p.p.HTTPGet.Path, p.p.HTTPGet.Port, p.path)
		}
	}

	sc := c.SecurityContext
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !sc.ReadOnlyRootFilesystem || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("securityContext = %+v, want no privilege escalation, a read-only root and no capabilities", sc)
	}
	if c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources = %+v, want a memory request and limit", c.Resources)
	}
}

// checkService checks that the Service selects the Deployment's pods and
// serves port 80 from their port named http.
func checkService(t *testing.T, svc, deploy object) {
	t.Helper()
	labels := deploy.Spec.Template.Metadata.Labels
	var svcSelector map[string]string
	if err := svc.Spec.Selector.Decode(&svcSelector); err != nil {
		t.Fatalf("service selector: %v", err)
	}
	if !selects(svcSelector, labels) {
		t.Errorf("the Service's selector %v does not match the pods' labels %v", svcSelector, labels)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 80 || svc.Spec.Ports[0].TargetPort != "http" {
		t.Errorf("service ports = %+v, want 80 to the port named http", svc.Spec.Ports)
	}
}

// checkKustomization checks that kust lists every other file of all but
// those left out.
func checkKustomization(t *testing.T, all map[string][]object, kust object, leftOut ...string) {
	t.Helper()
	var want []string
	for f := range all {
		if f != "kustomization.yaml" && !slices.Contains(leftOut, f) {
			want = append(want, f)
		}
	}
	sort.Strings(want)
	got := slices.Sorted(slices.Values(kust.Resources))
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml lists %q, want %q", got, want)
	}
}
