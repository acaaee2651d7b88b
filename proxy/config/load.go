package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts every environment variable the config reads.
const EnvPrefix = "INFERGATE_"

// envAliases are short names for the most used variables.
var envAliases = map[string]string{
	"INFERGATE_HTTP_ADDR":  "server.http_addr",
	"INFERGATE_GRPC_ADDR":  "server.grpc_addr",
	"INFERGATE_LOG_LEVEL":  "log.level",
	"INFERGATE_REDIS_ADDR": "cache_l2.redis_addr",
}

// Source says where a configuration comes from. Precedence: Set (flags) over
// Environ over the file over the defaults. Keeping the Source lets a reload
// re-read exactly the same inputs.
type Source struct {
	// Path is the YAML file; empty means defaults only.
	Path string
	// Environ is KEY=VALUE pairs, usually os.Environ(). Variables are named
	// INFERGATE_ + the YAML path in upper case joined by "_", list entries by
	// index: INFERGATE_SERVER_HTTP_ADDR, INFERGATE_MODELS_0_BATCHING_MAX_DELAY.
	Environ []string
	// Set maps dotted YAML paths ("server.http_addr") to values, from flags.
	Set map[string]string
}

// Load reads, overrides and validates a configuration.
func Load(src Source) (Config, error) {
	cfg := Default()
	if src.Path != "" {
		data, err := os.ReadFile(src.Path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := decode(data, &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", src.Path, err)
		}
	}
	if err := applyEnv(&cfg, src.Environ); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	for key, val := range src.Set {
		if err := setPath(&cfg, key, val); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// decode parses YAML strictly: unknown keys are errors with their line.
func decode(data []byte, cfg *Config) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		return nil // empty file: defaults
	}
	if err := checkKnown(doc.Content[0], reflect.TypeOf(*cfg), ""); err != nil {
		return err
	}
	return doc.Content[0].Decode(cfg)
}

// checkKnown walks a YAML node beside the Go type it decodes into and
// reports keys the type does not have. yaml.v3's own KnownFields does not
// reach through custom unmarshalers, which the defaults need.
func checkKnown(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeOf(Duration(0)):
		return nil
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		var errs []error
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			f, ok := fieldByTag(t, key.Value)
			if !ok {
				errs = append(errs, fmt.Errorf("line %d: unknown field %q in %s", key.Line, key.Value, orRoot(path)))
				continue
			}
			if err := checkKnown(val, f.Type, join(path, key.Value)); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		var errs []error
		for i, c := range n.Content {
			if err := checkKnown(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	return nil
}

func orRoot(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if strings.Split(f.Tag.Get("yaml"), ",")[0] == tag {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// applyEnv sets every field named by an INFERGATE_* variable. Variables that
// name no field are left to other readers (INFERGATE_ORT_LIB, for one).
func applyEnv(cfg *Config, environ []string) error {
	byEnv := map[string]string{}
	walk(reflect.ValueOf(cfg).Elem(), nil, func(path []string, _ reflect.Value) {
		byEnv[EnvPrefix+strings.ToUpper(strings.Join(path, "_"))] = strings.Join(path, ".")
	})
	for k, v := range envAliases {
		byEnv[k] = v
	}
	var errs []error
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		if key, ok := byEnv[name]; ok {
			if err := setPath(cfg, key, val); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// walk visits every leaf field with its YAML path; list entries use their
// index as a path element.
func walk(v reflect.Value, path []string, visit func([]string, reflect.Value)) {
	switch {
	case v.Type() == reflect.TypeOf(Duration(0)):
		visit(path, v)
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			tag := strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0]
			walk(v.Field(i), append(append([]string(nil), path...), tag), visit)
		}
	case v.Kind() == reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i), append(append([]string(nil), path...), strconv.Itoa(i)), visit)
		}
	default:
		visit(path, v)
	}
}

// setPath sets the field at a dotted YAML path ("models.0.max_seq_len").
func setPath(cfg *Config, key, val string) error {
	var target reflect.Value
	walk(reflect.ValueOf(cfg).Elem(), nil, func(path []string, v reflect.Value) {
		if strings.Join(path, ".") == key {
			target = v
		}
	})
	if !target.IsValid() {
		return fmt.Errorf("no setting %q", key)
	}
	if err := setValue(target, val); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

func setValue(v reflect.Value, s string) error {
	if v.Type() == reflect.TypeOf(Duration(0)) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 2ms or 10s", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case reflect.Uint32:
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return fmt.Errorf("%q is not a non-negative integer", s)
		}
		v.SetUint(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("cannot be set from text")
	}
	return nil
}
