// The graphile-worker baseline of `benches/engine.rs`: no-op jobs on the same Postgres.
//
// graphile-worker is not a dependency of MINO: `scripts/bench-engine.sh` installs it from
// the npm registry into MINO_BENCH_NODE (default /var/tmp/mino-bench-node), and this script
// loads it from there. The Rust bench drives it in three steps:
//
//   node graphile_noop.js prepare   drops and re-creates the schema, adds GW_JOBS jobs
//   node graphile_noop.js work N    one worker process with concurrency N (see below)
//   node graphile_noop.js drop      drops the schema
//
// Settings come from the environment: GW_URL (connection string), GW_SCHEMA, GW_JOBS.
//
// `work` opens and warms its connection pool (N connections, as graphile-worker recommends
// for concurrency N), prints `ready`, and waits for a line on stdin, so that every worker
// process of a run starts at the same moment. It then runs the task list `{ noop }` until
// the queue is empty and prints one JSON line: when it started (t0) and finished its last
// job (last), in epoch milliseconds, and how many jobs it completed.
"use strict";

const path = require("path");

const nodeDir = process.env.MINO_BENCH_NODE || "/var/tmp/mino-bench-node";
const load = (name) => require(require.resolve(name, { paths: [nodeDir] }));
const worker = load("graphile-worker");
const { Pool } = load("pg");
const { EventEmitter } = require("events");
const { performance } = require("perf_hooks");

const url = process.env.GW_URL;
const schema = process.env.GW_SCHEMA || "mino_bench_graphile";
if (!url) {
  console.error(`${path.basename(__filename)}: GW_URL is not set`);
  process.exit(2);
}
if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
  console.error(`bad schema name ${schema}`);
  process.exit(2);
}

// Errors only: graphile-worker logs every job at info level otherwise.
const logger = new worker.Logger(() => (level, message) => {
  if (level === "error") console.error(message);
});

const now = () => performance.timeOrigin + performance.now();

async function dropSchema() {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await pool.end();
  }
}

async function prepare() {
  const jobs = Number(process.env.GW_JOBS || "20000");
  await dropSchema();
  await worker.runMigrations({ connectionString: url, schema, logger });
  const utils = await worker.makeWorkerUtils({ connectionString: url, schema, logger });
  try {
    const chunk = 5000;
    for (let i = 0; i < jobs; i += chunk) {
      const specs = [];
      for (let j = i; j < Math.min(jobs, i + chunk); j++) {
        specs.push({ identifier: "noop", payload: { n: j } });
      }
      await utils.addJobs(specs);
    }
  } finally {
    await utils.release();
  }
}

function readLine() {
  return new Promise((resolve) => {
    let buffered = "";
    const onData = (data) => {
      buffered += data;
      if (buffered.includes("\n")) {
        process.stdin.off("data", onData);
        process.stdin.pause();
        resolve(buffered.trim());
      }
    };
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", onData);
  });
}

async function work(concurrency) {
  const pool = new Pool({ connectionString: url, max: concurrency });
  pool.on("error", (err) => console.error("idle connection failed:", err.message));
  // Open every connection before the start, as MINO's workers have theirs open.
  const clients = await Promise.all(
    Array.from({ length: concurrency }, () => pool.connect()),
  );
  for (const client of clients) client.release();

  const events = new EventEmitter();
  let done = 0;
  let last = 0;
  let finished;
  const allDone = new Promise((resolve) => (finished = resolve));
  let checking = false;
  events.on("job:success", () => {
    done += 1;
    last = now();
  });
  // A worker that found nothing asks whether anything is left anywhere (completed jobs are
  // deleted, so an empty jobs view means every process is done).
  events.on("worker:getJob:empty", async () => {
    if (checking) return;
    checking = true;
    try {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.jobs`);
      if (rows[0].n === 0) finished();
    } finally {
      checking = false;
    }
  });

  console.log("ready");
  await readLine();
  const t0 = now();
  const runner = await worker.run({
    pgPool: pool,
    schema,
    concurrency,
    noHandleSignals: true,
    logger,
    events,
    taskList: { noop: async () => {} },
  });
  await allDone;
  await runner.stop();
  await pool.end();
  console.log(JSON.stringify({ t0, last, done }));
}

async function main() {
  const [mode, arg] = process.argv.slice(2);
  switch (mode) {
    case "prepare":
      return prepare();
    case "work":
      return work(Math.max(1, Number(arg || "50")));
    case "drop":
      return dropSchema();
    default:
      throw new Error(`unknown mode ${mode}: expected prepare, work N or drop`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
