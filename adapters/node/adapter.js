#!/usr/bin/env node
// hookspec vector adapter for the Node `standardwebhooks` package.
//
//   npm install --prefix adapters/node standardwebhooks
//   hookspec vectors check --exec "node adapters/node/adapter.js"
//
// Uses the package as an Express/Node receiver would: one `new Webhook(secret)` per trusted
// secret (accepted when any verifies), the headers as an object (repeated fields joined with
// ", ", as Node's req.headers does), the raw body as a Buffer, `jsonParse: false`
// (verification only). The request's `now` is injected by replacing `Date.now`. The package
// has no Ed25519 (v1a) support: requests with public keys are answered `unsupported`. An
// error other than WebhookVerificationError is a rejection whose error starts with
// `exception:`.
"use strict";

const readline = require("readline");
// Found in adapters/node/node_modules (npm install --prefix adapters/node) or NODE_PATH.
const { Webhook, WebhookVerificationError } = require("standardwebhooks");

let now = 0;
Date.now = () => now * 1000;

function answer(req) {
  const out = { tcId: req.tcId };
  if (req.public_keys.length > 0) {
    return { ...out, accept: false, unsupported: "standardwebhooks (Node) has no v1a (Ed25519) support" };
  }
  now = req.now;
  const body = Buffer.from(req.body_b64, "base64");
  let error = "no secret configured";
  for (const secret of req.secrets) {
    let wh;
    try {
      wh = new Webhook(secret);
    } catch (e) {
      return { ...out, accept: false, error: `${e.name}: ${e.message}`, config_error: true };
    }
    try {
      wh.verify(body, { ...req.headers }, { jsonParse: false });
      return { ...out, accept: true };
    } catch (e) {
      error = e instanceof WebhookVerificationError ? `WebhookVerificationError: ${e.message}` : `exception: ${e.name}: ${e.message}`;
    }
  }
  return { ...out, accept: false, error };
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (line.trim() === "") return;
  process.stdout.write(JSON.stringify(answer(JSON.parse(line))) + "\n");
});
