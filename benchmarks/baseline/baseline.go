// Package baseline is the yardstick for the gateway's fastest path: a
// minimal Fiber server that answers every request with a fixed JSON body, as
// cheap as an HTTP JSON endpoint on the same framework can be. The gateway's
// cache-hit path is measured against it with a body of the same size.
package baseline

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Body returns a valid JSON object of exactly n bytes (at least 12).
func Body(n int) []byte {
	const frame = `{"pad":""}` // 10 bytes around the padding
	n = max(n, len(frame)+2)
	return []byte(`{"pad":"` + strings.Repeat("x", n-len(frame)) + `"}`)
}

// New returns the app: any POST answers body, GET /healthz and /readyz
// answer 200 so the bench suite can wait for it like for the gateway.
func New(body []byte) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	ok := func(c *fiber.Ctx) error { return c.SendString("ok") }
	app.Get("/healthz", ok)
	app.Get("/readyz", ok)
	app.Post("/*", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	return app
}
