// Persistent KaTeX renderer driven by lecture_notes/katex.py.
//
// Protocol: one JSON object per line on stdin, one JSON object per line on stdout.
//   request:  {"items": [[tex, displayMode], ...], "throwOnError": bool}
//   response: {"results": [{"html": "..."} | {"error": "..."}, ...]}
// A malformed request gets {"fatal": "..."}; the process keeps serving.
// KaTeX is located by the KATEX_DIR environment variable (the katex package directory) or, failing that,
// by Node's ordinary module resolution (NODE_PATH).
"use strict";

const readline = require("readline");

function loadKatex() {
  const dir = process.env.KATEX_DIR;
  if (dir) {
    return require(require("path").resolve(dir));
  }
  return require("katex");
}

const katex = loadKatex();

function renderOne(tex, display, throwOnError) {
  try {
    const html = katex.renderToString(String(tex), {
      displayMode: Boolean(display),
      throwOnError: Boolean(throwOnError),
      trust: false,
      strict: "ignore",
      output: "htmlAndMathml",
      maxExpand: 1000,
      maxSize: 50,
    });
    return { html };
  } catch (err) {
    return { error: err && err.message ? err.message : String(err) };
  }
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  let reply;
  try {
    const request = JSON.parse(line);
    const items = Array.isArray(request.items) ? request.items : [];
    reply = {
      results: items.map((item) => renderOne(item[0], item[1], request.throwOnError)),
    };
  } catch (err) {
    reply = { fatal: err && err.message ? err.message : String(err) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
rl.on("close", () => process.exit(0));
process.stdout.write(JSON.stringify({ ready: katex.version }) + "\n");
