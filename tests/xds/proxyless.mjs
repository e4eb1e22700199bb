// A proxyless gRPC client that knows only its xDS bootstrap (GRPC_XDS_BOOTSTRAP_CONFIG, naming the
// controller) and dials xds:///<service>, plus four real gRPC backends that answer with their own port.
// Driven over stdin/stdout, one JSON object per line:
//   {"backends":[ports]}                     on start
//   calls N      -> {"counts":{port:n},"errors":e,"firstError":"..."}   N calls, 32 at a time
//   watch MS     -> {"buckets":[{port:n}], "errors":e, ...}             calls for MS ms, counts per 100 ms
import readline from 'node:readline';
import grpc from '@grpc/grpc-js';
import xds from '@grpc/grpc-js-xds';

xds.register();

const service = process.env.ROBINHOOD_SERVICE;
const bytes = { serialize: (b) => b, deserialize: (b) => b };
const definition = {
  Call: {
    path: '/robinhood.test.Echo/Call',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  },
};

async function backend() {
  const server = new grpc.Server();
  let port = 0;
  server.addService(definition, { Call: (_call, done) => done(null, Buffer.from(String(port))) });
  port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return port;
}

const ports = [await backend(), await backend(), await backend(), await backend()];
const Echo = grpc.makeGenericClientConstructor(definition, 'Echo');
let client;

function call() {
  client ??= new Echo(`xds:///${service}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.Call(Buffer.alloc(0), { deadline: Date.now() + 10_000, waitForReady: true }, (e, reply) =>
      (e ? reject(e) : resolve(reply.toString())));
  });
}

// Runs calls 32 at a time while more() says so; hands each answer (or error) to record.
async function run(more, record) {
  const worker = async () => {
    while (more()) {
      try {
        record(await call(), null);
      } catch (e) {
        record(null, e);
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

function errors() {
  return { errors: 0, firstError: '' };
}

function noteError(result, e) {
  result.errors++;
  result.firstError ||= `${e.code} ${e.details}`;
}

async function calls(n) {
  const result = { counts: {}, ...errors() };
  let started = 0;
  await run(() => started++ < n, (port, e) => {
    if (e) noteError(result, e);
    else result.counts[port] = (result.counts[port] ?? 0) + 1;
  });
  return result;
}

async function watch(ms) {
  const result = { buckets: [], ...errors() };
  const start = Date.now();
  await run(() => Date.now() - start < ms, (port, e) => {
    if (e) {
      noteError(result, e);
      return;
    }
    const bucket = Math.floor((Date.now() - start) / 100);
    while (result.buckets.length <= bucket) result.buckets.push({});
    result.buckets[bucket][port] = (result.buckets[bucket][port] ?? 0) + 1;
  });
  return result;
}

console.log(JSON.stringify({ backends: ports }));
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === 'calls') console.log(JSON.stringify(await calls(Number(arg))));
  else if (command === 'watch') console.log(JSON.stringify(await watch(Number(arg))));
  else if (command === 'quit') break;
}
process.exit(0);
