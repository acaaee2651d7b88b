// Calls the gateway's /v1/embeddings with the official OpenAI Node client and
// prints what the client got, for proxy's compatibility test.
// Usage: node embeddings.mjs BASE_URL MODEL '["text", ...]'
import OpenAI from "openai";

const [baseURL, model, textsJSON] = process.argv.slice(2);
const texts = JSON.parse(textsJSON);
const client = new OpenAI({ baseURL, apiKey: "unused-by-an-open-gateway", maxRetries: 0 });

// want is the JavaScript type each embedding must arrive as: "object" for
// a list of numbers, "string" for the base64 the gateway sent (little-endian
// float32, as OpenAI documents it), decoded here.
const vectors = (res, want) =>
  res.data.map((d, i) => {
    if (d.index !== i || d.object !== "embedding") throw new Error(`data[${i}] = ${JSON.stringify(d).slice(0, 80)}`);
    const e = d.embedding;
    if (typeof e !== want) throw new Error(`embedding ${i} is a ${typeof e}; want ${want}`);
    if (typeof e !== "string") return Array.from(e);
    const b = Buffer.from(e, "base64");
    return Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)));
  });

const out = {
  float: vectors(await client.embeddings.create({ model, input: texts, encoding_format: "float" }), "object"),
  base64: vectors(await client.embeddings.create({ model, input: texts, encoding_format: "base64" }), "string"),
  // Without encoding_format the client asks for base64 and decodes it itself.
  default: vectors(await client.embeddings.create({ model, input: texts }), "object"),
  single: vectors(await client.embeddings.create({ model, input: texts[0] }), "object"),
};
out.usage = (await client.embeddings.create({ model, input: texts })).usage;
process.stdout.write(JSON.stringify(out));
