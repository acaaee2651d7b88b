package load

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Mode selects how requests are issued.
type Mode string

const (
	// Closed runs Concurrency clients, each sending its next request as soon as
	// the previous one answers: it measures how much a server can take.
	Closed Mode = "closed"
	// Open sends requests at Rate per second on a fixed schedule, whatever the
	// server does: it measures latency at a given offered load.
	Open Mode = "open"
)

// Arrival is the open-loop schedule.
type Arrival string

const (
	// Constant spaces requests exactly 1/Rate apart.
	Constant Arrival = "constant"
	// Poisson draws exponential gaps with mean 1/Rate, like independent users.
	Poisson Arrival = "poisson"
)

// Limits that keep every run bounded.
const (
	MaxConcurrency = 4096
	MaxRate        = 100000
	MaxInFlightCap = 16384
)

// Config describes one run. Duration or Requests (or both) bound it.
type Config struct {
	Mode    Mode
	Arrival Arrival // open loop only; "" means constant
	// Concurrency is the number of closed-loop clients.
	Concurrency int
	// Rate is the open-loop offered load in requests per second.
	Rate float64
	// MaxInFlight caps open-loop outstanding requests; when reached, sends wait
	// (and their wait counts in latency). 0 means 1024.
	MaxInFlight int
	// Warmup runs before measurement starts; its requests are not recorded.
	Warmup time.Duration
	// Duration of the measured window; 0 means unbounded by time.
	Duration time.Duration
	// Requests stops the run after this many measured requests; 0 means
	// unbounded by count.
	Requests int64
	// Timeout bounds each request; 0 means 30s.
	Timeout time.Duration

	Target   Target
	Workload Workload
	// TextsPerRequest is how many texts each request carries; 0 means 1.
	TextsPerRequest int
	// Seed fixes the Poisson schedule; 0 means a time-based seed.
	Seed uint64
	// Client sends the requests; nil means NewClient(concurrency).
	Client *http.Client
}

func (c *Config) normalize() error {
	if c.Target == nil {
		return errors.New("load: no target")
	}
	if c.Workload == nil {
		return errors.New("load: no workload")
	}
	if c.Duration < 0 || c.Warmup < 0 || c.Requests < 0 || c.Timeout < 0 {
		return errors.New("load: duration, warmup, requests and timeout must not be negative")
	}
	if c.Duration == 0 && c.Requests == 0 {
		return errors.New("load: set a duration or a request count so the run is bounded")
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.TextsPerRequest == 0 {
		c.TextsPerRequest = 1
	}
	if c.TextsPerRequest < 0 || c.TextsPerRequest > 1024 {
		return fmt.Errorf("load: texts per request %d out of range [1, 1024]", c.TextsPerRequest)
	}
	switch c.Mode {
	case Closed:
		if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
			return fmt.Errorf("load: concurrency %d out of range [1, %d]", c.Concurrency, MaxConcurrency)
		}
	case Open:
		if !(c.Rate > 0 && c.Rate <= MaxRate) { // also rejects NaN
			return fmt.Errorf("load: rate %v out of range (0, %d]", c.Rate, MaxRate)
		}
		switch c.Arrival {
		case "":
			c.Arrival = Constant
		case Constant, Poisson:
		default:
			return fmt.Errorf("load: unknown arrival %q (want constant or poisson)", c.Arrival)
		}
		if c.MaxInFlight == 0 {
			c.MaxInFlight = 1024
		}
		if c.MaxInFlight < 1 || c.MaxInFlight > MaxInFlightCap {
			return fmt.Errorf("load: max in-flight %d out of range [1, %d]", c.MaxInFlight, MaxInFlightCap)
		}
	default:
		return fmt.Errorf("load: unknown mode %q (want closed or open)", c.Mode)
	}
	if c.Client == nil {
		n := c.Concurrency
		if c.Mode == Open {
			n = c.MaxInFlight
		}
		c.Client = NewClient(n)
	}
	return nil
}
