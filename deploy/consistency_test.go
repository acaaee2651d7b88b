package deploy_test

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/infergate/infergate/proxy/config"
)

// gatewayConfigs are the gateway configurations the deploy files run, relative
// to the repository root (the image's working directory mirrors it).
var gatewayConfigs = []string{"deploy/infergate-triton.yaml", "deploy/kubernetes/infergate.yaml"}

// TestGatewayConfigsLoad loads each shipped configuration with the gateway's
// own loader, from the repository root as the image runs it from /app:
// unknown keys, bad values and missing model files fail here.
func TestGatewayConfigsLoad(t *testing.T) {
	for _, path := range gatewayConfigs {
		t.Run(path, func(t *testing.T) {
			t.Chdir(repoRoot)
			if _, err := config.Load(config.Source{Path: path}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// decodeConfig reads a gateway config file without validating its paths.
func decodeConfig(t *testing.T, path string) config.Config {
	t.Helper()
	cfg := config.Default()
	readYAML(t, filepath.Join(repoRoot, path), &cfg)
	return cfg
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type k8sDeployment struct {
	Metadata struct{ Name string }
	Spec     struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		}
		Template struct {
			Metadata struct{ Labels map[string]string }
			Spec     struct {
				Grace           int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext struct {
					RunAsUser int `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				Containers []struct {
					Args  []string
					Ports []struct {
						Name          string
						ContainerPort int `yaml:"containerPort"`
					}
					ReadinessProbe k8sProbe `yaml:"readinessProbe"`
					LivenessProbe  k8sProbe `yaml:"livenessProbe"`
					Lifecycle      struct {
						PreStop struct {
							Exec struct{ Command []string }
						} `yaml:"preStop"`
					}
					VolumeMounts []struct {
						Name      string
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				}
				Volumes []struct {
					Name      string
					ConfigMap struct{ Name string } `yaml:"configMap"`
				}
			}
		}
	}
}

type k8sProbe struct {
	HTTPGet struct {
		Path string
		Port string
	} `yaml:"httpGet"`
}

type k8sSelected struct {
	Spec struct {
		Selector       map[string]any
		ScaleTargetRef struct{ Kind, Name string } `yaml:"scaleTargetRef"`
		Ports          []struct {
			TargetPort string `yaml:"targetPort"`
		}
	}
}

// labelsOf reads a selector that is either a plain map (Service) or has
// matchLabels (PDB).
func labelsOf(sel map[string]any) map[string]string {
	out := map[string]string{}
	if ml, ok := sel["matchLabels"].(map[string]any); ok {
		sel = ml
	}
	for k, v := range sel {
		out[k], _ = v.(string)
	}
	return out
}

func subset(t *testing.T, what string, sel, labels map[string]string) {
	t.Helper()
	if len(sel) == 0 {
		t.Errorf("%s: empty selector", what)
	}
	for k, v := range sel {
		if labels[k] != v {
			t.Errorf("%s: selector %s=%s does not match the pod labels %v", what, k, v, labels)
		}
	}
}

func TestKubernetesManifests(t *testing.T) {
	var kust struct {
		Resources          []string
		ConfigMapGenerator []struct {
			Name  string
			Files []string
		} `yaml:"configMapGenerator"`
	}
	readYAML(t, "kubernetes/kustomization.yaml", &kust)
	for _, r := range kust.Resources {
		if _, err := os.Stat(filepath.Join("kubernetes", r)); err != nil {
			t.Errorf("kustomization resource: %v", err)
		}
	}
	if len(kust.ConfigMapGenerator) != 1 || len(kust.ConfigMapGenerator[0].Files) != 1 {
		t.Fatalf("want one generated ConfigMap with one file, got %+v", kust.ConfigMapGenerator)
	}
	gen := kust.ConfigMapGenerator[0]
	cfg := decodeConfig(t, filepath.Join("deploy/kubernetes", gen.Files[0]))

	var d k8sDeployment
	readYAML(t, "kubernetes/deployment.yaml", &d)
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	subset(t, "deployment", d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)

	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] != port(t, cfg.Server.HTTPAddr) || ports["grpc"] != port(t, cfg.Server.GRPCAddr) {
		t.Errorf("container ports %v, config listens on %s and %s", ports, cfg.Server.HTTPAddr, cfg.Server.GRPCAddr)
	}
	for _, p := range []struct {
		name, path string
		probe      k8sProbe
	}{{"readiness", "/readyz", c.ReadinessProbe}, {"liveness", "/healthz", c.LivenessProbe}} {
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != "http" {
			t.Errorf("%s probe: GET %s on %s, want %s on http", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port, p.path)
		}
	}

	// Shutdown: preStop sleep, then the gateway's drain, inside the grace period.
	cmd := c.Lifecycle.PreStop.Exec.Command
	if len(cmd) != 2 || cmd[0] != "sleep" {
		t.Fatalf("preStop %v, want [sleep N]", cmd)
	}
	sleep, err := strconv.Atoi(cmd[1])
	if err != nil {
		t.Fatal(err)
	}
	budget := time.Duration(sleep)*time.Second + cfg.Server.ShutdownTimeout.D()
	if grace := time.Duration(pod.Grace) * time.Second; grace <= budget {
		t.Errorf("terminationGracePeriodSeconds %v does not cover preStop %ds + shutdown_timeout %v", grace, sleep, cfg.Server.ShutdownTimeout)
	}

	// --config names the generated ConfigMap's file where it is mounted.
	i := slices.Index(c.Args, "--config")
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("args %v have no --config", c.Args)
	}
	dir, file := filepath.Split(c.Args[i+1])
	if file != gen.Files[0] {
		t.Errorf("--config %s, the ConfigMap holds %s", c.Args[i+1], gen.Files[0])
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.ConfigMap.Name == gen.Name && filepath.Clean(m.MountPath) == filepath.Clean(dir) {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Errorf("ConfigMap %s is not mounted at %s", gen.Name, dir)
	}
	if uid := dockerfileUID(t); pod.SecurityContext.RunAsUser != uid {
		t.Errorf("runAsUser %d, the image's USER is %d", pod.SecurityContext.RunAsUser, uid)
	}

	for _, f := range []string{"service.yaml", "pdb.yaml"} {
		var s k8sSelected
		readYAML(t, filepath.Join("kubernetes", f), &s)
		subset(t, f, labelsOf(s.Spec.Selector), d.Spec.Template.Metadata.Labels)
		for _, p := range s.Spec.Ports {
			if _, ok := ports[p.TargetPort]; !ok {
				t.Errorf("%s: targetPort %q is not a container port", f, p.TargetPort)
			}
		}
	}
	var hpa k8sSelected
	readYAML(t, "kubernetes/hpa.yaml", &hpa)
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Metadata.Name {
		t.Errorf("hpa scales %s/%s, want Deployment/%s", ref.Kind, ref.Name, d.Metadata.Name)
	}
}

type composeFile struct {
	Services map[string]struct {
		Image           string
		Command         []string
		Profiles        []string
		Volumes         []string
		StopGracePeriod string `yaml:"stop_grace_period"`
	}
}

func TestCompose(t *testing.T) {
	var cf composeFile
	readYAML(t, "compose.yaml", &cf)
	var prom struct {
		ScrapeConfigs []struct {
			JobName    string `yaml:"job_name"`
			DNSConfigs []struct {
				Names []string
				Port  int
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "prometheus/prometheus.yml", &prom)
	scraped := map[string]int{}
	for _, sc := range prom.ScrapeConfigs {
		if sc.JobName == "infergate" {
			for _, d := range sc.DNSConfigs {
				for _, n := range d.Names {
					scraped[n] = d.Port
				}
			}
		}
	}

	def := config.Default()
	for name, s := range cf.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("service %s: volume %v", name, err)
				}
			}
		}
		if s.Image != "infergate:dev" {
			continue
		}
		// A gateway: scraped, drained on stop, its config in the image.
		cfg := def
		if i := slices.Index(s.Command, "--config"); i >= 0 {
			path := s.Command[i+1]
			if !dockerfileCopies(t, path) {
				t.Errorf("service %s: --config %s is not copied into the image", name, path)
			}
			cfg = decodeConfig(t, path)
		}
		if scraped[name] != port(t, cfg.Server.HTTPAddr) {
			t.Errorf("service %s: prometheus scrapes it on port %d, it listens on %s", name, scraped[name], cfg.Server.HTTPAddr)
		}
		grace, err := time.ParseDuration(s.StopGracePeriod)
		if err != nil || grace <= cfg.Server.ShutdownTimeout.D() {
			t.Errorf("service %s: stop_grace_period %q does not cover shutdown_timeout %v", name, s.StopGracePeriod, cfg.Server.ShutdownTimeout)
		}
	}

	// The triton profile runs the replicas deploy/infergate-triton.yaml names.
	for _, m := range decodeConfig(t, "deploy/infergate-triton.yaml").Models {
		for _, b := range m.Backends {
			u, err := url.Parse(b.URL)
			if err != nil {
				t.Fatal(err)
			}
			s, ok := cf.Services[u.Hostname()]
			if !ok || !slices.Contains(s.Profiles, "triton") || !strings.Contains(s.Image, "tritonserver") {
				t.Errorf("backend %s (%s): no Triton service %q in the triton profile", b.Name, b.URL, u.Hostname())
			}
		}
	}
}

// TestQueueAlertUsesCapacity keeps the queue alert relative to the limit
// the gateway exports (infergate_queue_capacity, batching.max_queue), so a
// model configured with another max_queue needs no edit of the alert.
func TestQueueAlertUsesCapacity(t *testing.T) {
	var expr string
	for _, q := range alertQueries(t) {
		if q.where == "alert InfergateQueueNearFull" {
			expr = q.expr
		}
	}
	if !regexp.MustCompile(`^infergate_queue_depth / infergate_queue_capacity > 0\.\d+$`).MatchString(strings.TrimSpace(expr)) {
		t.Fatalf("InfergateQueueNearFull: %q is not infergate_queue_depth / infergate_queue_capacity > 0.N", expr)
	}
	gm := readGatewayMetrics(t, filepath.Join(repoRoot, "proxy"))
	for _, name := range []string{"infergate_queue_depth", "infergate_queue_capacity"} {
		if d, ok := gm.defs[name]; !ok || !slices.Equal(d.labels, []string{"model"}) {
			t.Errorf("the gateway does not export %s{model}", name)
		}
	}
}
