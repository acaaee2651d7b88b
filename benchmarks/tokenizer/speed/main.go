// Command speed measures tokenizer throughput side by side in one run:
// this repository's tokenizer, HF tokenizers (Rust, through its Node
// binding, single-threaded, load time excluded) and
// github.com/sugarme/tokenizer, on the same texts, interleaved round by
// round, reporting the median of the rounds in MB/s and tokens/s as a
// Markdown table. benchmarks/tokenizer/bench.sh runs it and writes
// RESULTS.md.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	sugarpre "github.com/sugarme/tokenizer/pretrained"

	"github.com/infergate/infergate/tokenizer"
)

type config struct {
	tokenizerJSON string
	corpus        string
	english       string
	rounds        int
	seconds       float64
}

func main() {
	var cfg config
	flag.StringVar(&cfg.tokenizerJSON, "tokenizer", "", "the all-MiniLM-L6-v2 tokenizer.json (bert-base-uncased)")
	flag.StringVar(&cfg.corpus, "corpus", "benchmarks/tokenizer/corpus.jsonl", "the parity corpus (the hard workload)")
	flag.StringVar(&cfg.english, "english", "/usr/share/common-licenses", "a directory of English prose files, split into paragraphs (the plain workload)")
	flag.IntVar(&cfg.rounds, "rounds", 5, "interleaved rounds; the table shows their median")
	flag.Float64Var(&cfg.seconds, "seconds", 1, "seconds per tokenizer per round")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "speed:", err)
		os.Exit(1)
	}
}

// workload is a set of texts encoded one by one, without truncation.
type workload struct {
	name  string
	texts []string
	bytes int
}

// arm is one tokenizer under test: pass runs for about d and reports how
// many whole passes over the texts it made in how long.
type arm struct {
	name   string
	tokens int // tokens per pass, specials included
	pass   func(d time.Duration) (passes int, elapsed time.Duration, err error)
	close  func()
}

func run(cfg config) error {
	if cfg.tokenizerJSON == "" {
		return errors.New("-tokenizer is required")
	}
	loads, err := loadWorkloads(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("| workload | tokenizer | MB/s | tokens/s | vs HF (best) | vs sugarme |\n|---|---|---:|---:|---:|---:|\n")
	for _, w := range loads {
		arms, err := buildArms(cfg, w)
		if err != nil {
			return err
		}
		results := map[string][]float64{} // arm -> seconds per pass, per round
		for r := 0; r < cfg.rounds; r++ {
			for _, a := range arms {
				passes, elapsed, err := a.pass(time.Duration(cfg.seconds * float64(time.Second)))
				if err != nil {
					return fmt.Errorf("%s/%s: %w", w.name, a.name, err)
				}
				results[a.name] = append(results[a.name], elapsed.Seconds()/float64(passes))
			}
		}
		for _, a := range arms {
			if a.close != nil {
				a.close()
			}
		}
		median := func(name string) float64 { v := slices.Clone(results[name]); slices.Sort(v); return v[len(v)/2] }
		hfBest := min(median("HF tokenizers encode"), median("HF tokenizers encodeBatch"))
		sugarSec := median("sugarme/tokenizer")
		for _, a := range arms {
			sec := median(a.name)
			fmt.Printf("| %s | %s | %.2f | %.0f | %.1fx | %.1fx |\n", w.name, a.name,
				float64(w.bytes)/sec/1e6, float64(a.tokens)/sec, hfBest/sec, sugarSec/sec)
		}
	}
	return nil
}

func loadWorkloads(cfg config) ([]workload, error) {
	hard := workload{name: "hard corpus"}
	f, err := os.Open(cfg.corpus)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var c struct {
			Text     string  `json:"text"`
			TextPair *string `json:"text_pair"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.corpus, err)
		}
		hard.texts = append(hard.texts, c.Text)
		if c.TextPair != nil {
			hard.texts = append(hard.texts, *c.TextPair)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	english := workload{name: "English paragraphs"}
	files, _ := filepath.Glob(filepath.Join(cfg.english, "*"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, para := range strings.Split(string(data), "\n\n") {
			if para = strings.TrimSpace(para); len(para) >= 40 {
				english.texts = append(english.texts, para)
			}
		}
	}
	var out []workload
	for _, w := range []workload{english, hard} {
		for _, s := range w.texts {
			w.bytes += len(s)
		}
		if len(w.texts) > 0 {
			out = append(out, w)
		}
	}
	return out, nil
}

func buildArms(cfg config, w workload) ([]arm, error) {
	ours, err := tokenizer.Load(cfg.tokenizerJSON)
	if err != nil {
		return nil, err
	}
	opts := tokenizer.Options{NoTruncate: true, NoPadding: true}
	oursTokens := 0
	for _, s := range w.texts {
		e, err := ours.Encode(s, opts)
		if err != nil {
			return nil, err
		}
		oursTokens += e.Len()
	}
	timed := func(d time.Duration, onePass func() error) (int, time.Duration, error) {
		start := time.Now()
		passes := 0
		for time.Since(start) < d || passes == 0 {
			if err := onePass(); err != nil {
				return 0, 0, err
			}
			passes++
		}
		return passes, time.Since(start), nil
	}
	arms := []arm{{
		name:   "infergate tokenizer",
		tokens: oursTokens,
		pass: func(d time.Duration) (int, time.Duration, error) {
			return timed(d, func() error {
				for _, s := range w.texts {
					if _, err := ours.Encode(s, opts); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}, {
		name:   fmt.Sprintf("infergate tokenizer EncodeBatch (%d cores)", runtime.GOMAXPROCS(0)),
		tokens: oursTokens,
		pass: func(d time.Duration) (int, time.Duration, error) {
			return timed(d, func() error { _, err := ours.EncodeBatch(w.texts, opts); return err })
		},
	}}

	sm, err := sugarpre.FromFile(cfg.tokenizerJSON)
	if err != nil {
		return nil, fmt.Errorf("sugarme: %w", err)
	}
	sm.WithTruncation(nil)
	sm.WithPadding(nil)
	smEncode := func(s string) (n int, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("sugarme panicked: %v", r)
			}
		}()
		e, err := sm.EncodeSingle(s, true)
		if err != nil {
			return 0, err
		}
		return e.Len(), nil
	}
	smTokens, smFailed := 0, 0
	for _, s := range w.texts {
		n, err := smEncode(s)
		if err != nil {
			smFailed++
		}
		smTokens += n
	}
	if smFailed > 0 {
		fmt.Fprintf(os.Stderr, "speed: sugarme failed on %d of %d texts of %s (they still count in its time)\n", smFailed, len(w.texts), w.name)
	}
	arms = append(arms, arm{
		name:   "sugarme/tokenizer",
		tokens: smTokens,
		pass: func(d time.Duration) (int, time.Duration, error) {
			return timed(d, func() error {
				for _, s := range w.texts {
					_, _ = smEncode(s)
				}
				return nil
			})
		},
	})

	hf, err := startHF(cfg, w)
	if err != nil {
		return nil, err
	}
	if hf.tokens != oursTokens {
		hf.close()
		return nil, fmt.Errorf("%s: HF produced %d tokens, this tokenizer %d: not the same work", w.name, hf.tokens, oursTokens)
	}
	for _, m := range []struct{ name, mode string }{{"encode", "encode"}, {"encodeBatch", "batch"}} {
		arms = append(arms, arm{
			name:   "HF tokenizers " + m.name,
			tokens: hf.tokens,
			pass:   func(d time.Duration) (int, time.Duration, error) { return hf.run(m.mode, d) },
		})
	}
	arms[len(arms)-1].close = hf.close
	return arms, nil
}

// hfProcess is the Node child running hf-bench.js.
type hfProcess struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	tokens int
}

func startHF(cfg config, w workload) (*hfProcess, error) {
	textsFile, err := os.CreateTemp("", "speed-texts-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(textsFile.Name())
	if err := json.NewEncoder(textsFile).Encode(w.texts); err != nil {
		return nil, err
	}
	textsFile.Close()
	script := filepath.Join(filepath.Dir(cfg.corpus), "hf-bench.js")
	cmd := exec.Command("node", script, cfg.tokenizerJSON, textsFile.Name())
	cmd.Env = append(os.Environ(), "RAYON_NUM_THREADS=1", "TOKENIZERS_PARALLELISM=false")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	p := &hfProcess{cmd: cmd, in: in, out: bufio.NewScanner(stdout)}
	var ready struct {
		Ready  bool `json:"ready"`
		Tokens int  `json:"tokens"`
	}
	if err := p.read(&ready); err != nil || !ready.Ready {
		p.close()
		return nil, fmt.Errorf("hf-bench.js did not start: %v", err)
	}
	p.tokens = ready.Tokens
	return p, nil
}

func (p *hfProcess) read(v any) error {
	if !p.out.Scan() {
		if err := p.out.Err(); err != nil {
			return err
		}
		return io.ErrUnexpectedEOF
	}
	return json.Unmarshal(p.out.Bytes(), v)
}

func (p *hfProcess) run(mode string, d time.Duration) (int, time.Duration, error) {
	if _, err := fmt.Fprintf(p.in, "%s %f\n", mode, d.Seconds()); err != nil {
		return 0, 0, err
	}
	var res struct {
		Passes  int     `json:"passes"`
		Seconds float64 `json:"seconds"`
	}
	if err := p.read(&res); err != nil {
		return 0, 0, err
	}
	if res.Passes == 0 {
		return 0, 0, errors.New("no complete pass")
	}
	return res.Passes, time.Duration(res.Seconds * float64(time.Second)), nil
}

func (p *hfProcess) close() {
	p.in.Close()
	_ = p.cmd.Wait()
}
