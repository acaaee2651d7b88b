package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/infergate/infergate/proxy/config"
)

// rawPost writes one HTTP/1.1 request on a new connection and returns it.
func rawPost(t *testing.T, base, path, body string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body)
	return conn
}

func TestAClientThatLeftIsNeverComputed(t *testing.T) {
	fake := newFakeRuntime(3, 8)
	cfg := fakeConfig(t, 3, "a")
	cfg.Models[0].Cache.Size = 0
	// A partial batch waits max_delay; it is long so that on a loaded 2-core
	// machine the hang-up is seen well before the batch would run.
	cfg.Models[0].Batching.MaxDelay = config.Duration(2 * time.Second)
	cfg.Models[0].Batching.HoldWhenIdle = true
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"a": fake}))

	gone := rawPost(t, g.URL, "/v1/classify", `{"inputs": "nobody will read this"}`)
	time.Sleep(100 * time.Millisecond)
	gone.Close()
	time.Sleep(2500 * time.Millisecond) // past max_delay: the batch would have run by now
	if rows := fake.rows.Load(); rows != 0 {
		t.Errorf("the model ran %d rows for a client that had left", rows)
	}

	// Of two identical requests sharing one computation, the one that stays
	// gets its answer when the other leaves.
	leaver := rawPost(t, g.URL, "/v1/classify", `{"inputs": "shared text"}`)
	stayed := make(chan reply, 1)
	go func() { stayed <- do(t, "POST", g.URL+"/v1/classify", `{"inputs": "shared text"}`) }()
	time.Sleep(500 * time.Millisecond) // both requests have joined the flight
	leaver.Close()
	if r := <-stayed; r.Status != http.StatusOK {
		t.Errorf("the remaining client got %d %s; want 200", r.Status, r.Body)
	}
	if rows := fake.rows.Load(); rows != 1 {
		t.Errorf("the model ran %d rows for the shared text; want 1", rows)
	}
}

func TestPipelinedRequestsAreAnswered(t *testing.T) {
	fake := newFakeRuntime(3, 8)
	cfg := fakeConfig(t, 3, "a")
	cfg.Models[0].Cache.Size = 0
	g := startGateway(t, cfg, fakeFactory(map[string]*fakeRuntime{"a": fake}))
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var reqs strings.Builder
	for i := 0; i < 3; i++ {
		body := fmt.Sprintf(`{"inputs": "pipelined %d"}`, i)
		fmt.Fprintf(&reqs, "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	if _, err := conn.Write([]byte(reqs.String())); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i := 0; i < 3; i++ {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("response %d: %d", i, res.StatusCode)
		}
	}
	if rows := fake.rows.Load(); rows != 3 {
		t.Errorf("ran %d rows for 3 pipelined requests", rows)
	}
}
