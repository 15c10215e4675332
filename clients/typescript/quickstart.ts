// Sends a code to a phone number through verifyd and checks the code typed in reply, with the
// TypeScript code generated into gen/ (buf.gen.yaml) and @connectrpc/connect-node.
//
//   npx tsx clients/typescript/quickstart.ts http://localhost:8080 +12025550100
import { createInterface } from "node:readline/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { VerificationService, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";

const [baseUrl = "http://localhost:8080", phoneNumber = "+12025550100"] = process.argv.slice(2);
// gRPC over HTTP/2. createConnectTransport({ baseUrl, httpVersion: "1.1" }) speaks Connect (JSON or binary) instead.
const client = createClient(VerificationService, createGrpcTransport({ baseUrl }));

// An invalid number rejects with a ConnectError whose code is Code.InvalidArgument.
const { verification } = await client.start({ phoneNumber }, { timeoutMs: 10_000 });
if (!verification) throw new Error("Start answered no verification");
console.log(`${verification.id}: ${VerificationStatus[verification.status]}`);

const readline = createInterface({ input: process.stdin, output: process.stdout });
const code = await readline.question("code: ");
readline.close();
const checked = await client.check({ verificationId: verification.id, code: code.trim() }, { timeoutMs: 10_000 });
console.log(`approved: ${checked.approved} (${VerificationStatus[checked.verification?.status ?? 0]})`);
