// Verifies Lethe's signed webhook deliveries with the ecosystem's Standard
// Webhooks verifiers, standardwebhooks and svix, as a receiver in Node.js
// would. Run by ../../npm_test.go: node verify.mjs samples.json.
//
// samples.json: {"samples": [{"name", "secret" (whsec_ form), "headers"
// (name: value, as sent), "body" (the raw body), "expect": "valid" |
// "invalid" | "no-secret"}]}. A valid sample must pass both verifiers, and
// a copy of it with its body changed must fail both; an invalid one must
// fail both; a no-secret one is keyed with an empty secret, which both
// refuse to take. Exits non-zero on any failure.
import { readFileSync } from "node:fs";
import { Webhook as StandardWebhook, WebhookVerificationError } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";

const verifiers = {
  standardwebhooks: (secret, headers, body) => new StandardWebhook(secret).verify(body, headers),
  svix: (secret, headers, body) => new SvixWebhook(secret).verify(Buffer.from(body, "utf8"), headers),
};

let passed = 0;
let failed = 0;

// check records one expectation: ok says whether it held.
function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.error(`FAIL ${what}`);
  }
}

// outcome runs fn and says "valid", or why it threw.
function outcome(fn) {
  try {
    fn();
    return { valid: true };
  } catch (err) {
    return { valid: false, verification: err instanceof WebhookVerificationError, message: String(err?.message ?? err) };
  }
}

const path = process.argv[2];
if (!path) {
  console.error("usage: node verify.mjs samples.json");
  process.exit(2);
}
const { samples } = JSON.parse(readFileSync(path, "utf8"));
const kinds = new Set(samples.map((s) => s.expect));
for (const k of ["valid", "invalid"]) {
  check(kinds.has(k), `the file has no ${k} sample`);
}

for (const s of samples) {
  for (const [lib, verify] of Object.entries(verifiers)) {
    const what = `${lib}: ${s.name}`;
    const got = outcome(() => verify(s.secret, s.headers, s.body));
    switch (s.expect) {
      case "valid": {
        check(got.valid, `${what}: rejected a valid delivery: ${got.message}`);
        const tampered = outcome(() => verify(s.secret, s.headers, s.body + " "));
        check(!tampered.valid && tampered.verification, `${what}, body changed: ${tampered.valid ? "accepted" : tampered.message}`);
        break;
      }
      case "invalid":
        check(!got.valid && got.verification, `${what}: ${got.valid ? "accepted an invalid delivery" : `threw a non-verification error: ${got.message}`}`);
        break;
      case "no-secret":
        check(!got.valid && !got.verification && /empty/i.test(got.message), `${what}: ${got.valid ? "accepted a delivery keyed with an empty secret" : got.message}`);
        break;
      default:
        check(false, `${what}: unknown expectation ${JSON.stringify(s.expect)}`);
    }
  }
}

console.log(`verify.mjs: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
