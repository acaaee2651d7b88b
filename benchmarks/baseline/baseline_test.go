package baseline

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBody(t *testing.T) {
	for _, n := range []int{0, 12, 13, 500, 4096} {
		b := Body(n)
		if want := max(n, 12); len(b) != want || !json.Valid(b) {
			t.Errorf("Body(%d) = %d bytes, valid JSON %v; want %d bytes of JSON", n, len(b), json.Valid(b), want)
		}
	}
}

func TestServerAnswersFixedBody(t *testing.T) {
	body := Body(300)
	app := New(body)
	resp, err := app.Test(httptest.NewRequest("POST", "/v1/classify", strings.NewReader(`{"inputs":"x"}`)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(got) != string(body) || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("POST = %d %q (%s); want 200 with the fixed JSON body", resp.StatusCode, got, resp.Header.Get("Content-Type"))
	}
	resp, err = app.Test(httptest.NewRequest("GET", "/readyz", nil))
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /readyz = %v, %v; want 200", resp.StatusCode, err)
	}
}
