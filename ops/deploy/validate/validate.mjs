// Validates ops/deploy without a cluster (DeployManifestsTest runs it; ./fovea test installs its
// packages with npm ci, pinned by package-lock.json):
//  - every Kubernetes object under k8s/ against its JSON schema: kubernetes-models (the Kubernetes
//    1.27 OpenAPI schemas), @kubernetes-models/keda (KEDA's CRDs: ScaledObject,
//    TriggerAuthentication) and @kubernetes-models/prometheus-operator (ServiceMonitor); an object
//    of a kind with no schema here is an error, not a pass;
//  - no object has a field its schema does not define (a misspelt field passes the schemas);
//  - kustomizations rendered (kustomize.mjs: the part of kustomize they use; no kubectl on CI): every
//    Kustomization, and the base with each Component; the objects they produce are validated too;
//  - the settings of each rendered build agree with each other: probes on the metrics port, grace
//    periods, the consumer group and topic KEDA watches, replicas x threads <= partitions;
//  - the Dockerfiles with dockerfile-utils' linter, and what the worker needs of them;
//  - the Grafana dashboard parses, and every metric and label it queries is the worker's
//    (worker-metrics.txt), and every worker metric is on it.
// Usage: node validate.mjs                  everything under ops/deploy
//        node validate.mjs --manifest FILE  one manifest file (schemas only)
//        node validate.mjs --base DIR       the cross-checks of a base directory (its files)
//        node validate.mjs --render DIR     render a kustomization (a Component: on the base),
//                                           validate its objects, cross-check them
//        node validate.mjs --dashboard FILE one dashboard
//        node validate.mjs --dockerfile FILE
// Prints one line per problem and exits 1 if there is any.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { KUSTOMIZE_API as KUSTOMIZE, renderDirectory, renderKustomization } from "./kustomize.mjs";
import { validate as lintDockerfile } from "dockerfile-utils";
import * as core from "kubernetes-models/v1";
import * as apps from "kubernetes-models/apps/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as autoscaling from "kubernetes-models/autoscaling/v2";
import * as keda from "@kubernetes-models/keda/keda.sh/v1alpha1";
import * as monitoring from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const DEPLOY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MODELS = {
  v1: core,
  "apps/v1": apps,
  "policy/v1": policy,
  "autoscaling/v2": autoscaling,
  "keda.sh/v1alpha1": keda,
  "monitoring.coreos.com/v1": monitoring,
};
const BASE = path.join(DEPLOY, "k8s", "base");

const problems = [];
const counts = { objects: 0, kustomizations: 0, builds: 0, renderedObjects: 0, dockerfiles: 0, dashboards: 0, queries: 0 };
const problem = (file, message) => problems.push(`${path.relative(process.cwd(), file)}: ${message}`);

function readDocuments(file) {
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"));
  const objects = [];
  for (const doc of docs) {
    for (const e of doc.errors) problem(file, `YAML: ${e.message.split("\n")[0]}`);
    if (doc.errors.length) continue;
    const value = doc.toJS();
    if (value != null) objects.push(value);
  }
  return objects;
}

// context: what the messages say before the object's kind/name ("rendered: " for a build's).
function validateObject(file, obj, context = "") {
  const id = `${context}${obj?.kind ?? "?"}/${obj?.metadata?.name ?? "?"}`;
  if (!obj || typeof obj !== "object" || !obj.apiVersion || !obj.kind) {
    problem(file, `${id}: not a Kubernetes object (apiVersion and kind required)`);
    return;
  }
  const Model = MODELS[obj.apiVersion]?.[obj.kind];
  if (!Model) {
    problem(file, `${id}: no schema for ${obj.apiVersion} ${obj.kind} (wrong apiVersion or kind?)`);
    return;
  }
  if (context) counts.renderedObjects++;
  else counts.objects++;
  try {
    new Model(obj).validate();
  } catch (e) {
    problem(file, `${id}: ${e.message}`);
  }
  for (const [where, field, known] of unknownFields(Model, obj)) {
    const hint = closest(field, known);
    problem(file, `${id}: ${where} is not a field of the schema${hint ? ` (did you mean ${hint}?)` : ""}`);
  }
}

// The Kubernetes schemas allow unknown properties (the API server drops them, with at most a
// warning), so `livenesProbe:` would pass validate() and the probe would silently not exist.
// kubernetes-models ships its schemas only as ajv-compiled code, not as JSON, so the fields a
// schema defines are learnt by watching that code: it reads every property its schema defines
// (`data.livenessProbe === undefined`?), and enumerates the keys of a map (additionalProperties:
// labels, ConfigMap data, resource limits). We run the model's validate() on proxies that record
// both; a key of an object that the validator read fields of but never asked for is unknown. An
// object whose fields it neither read nor enumerated has a free-form schema
// (x-kubernetes-preserve-unknown-fields, or type: object alone): anything goes there.
// Returns [path, field, fields the schema has there].
function unknownFields(Model, obj) {
  const seen = new Map(); // object of obj -> { read: Set of keys asked for, enumerated: boolean }
  const proxies = new Map();
  const watch = (value) => {
    if (value === null || typeof value !== "object") return value;
    if (!proxies.has(value)) {
      const info = { read: new Set(), enumerated: false };
      seen.set(value, info);
      proxies.set(value, new Proxy(value, {
        get(target, key) {
          if (typeof key === "string") info.read.add(key);
          return watch(target[key]);
        },
        has(target, key) {
          if (typeof key === "string") info.read.add(key);
          return key in target;
        },
        ownKeys(target) {
          info.enumerated = true;
          return Reflect.ownKeys(target);
        },
      }));
    }
    return proxies.get(value);
  };
  try {
    Model.prototype.validate.call(watch(obj));
  } catch {
    // Schema errors are reported by validateObject; only the reads matter here.
  }
  const unknown = [];
  const walk = (value, where) => {
    const info = seen.get(value);
    if (!info) return; // never reached by the validator: under a free-form field
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, [...where, i]));
      return;
    }
    const fields = [...info.read].filter((k) => k !== "length" && !/^\d+$/.test(k));
    const strict = !info.enumerated && fields.length > 0;
    for (const [key, child] of Object.entries(value)) {
      if (strict && !info.read.has(key)) unknown.push([[...where, key].join("/"), key, fields]);
      else walk(child, [...where, key]);
    }
  };
  walk(obj, []);
  return unknown;
}

// The field of `known` nearest to a misspelt `field` (at most 2 edits, or one is inside the other).
function closest(field, known) {
  const distance = (a, b) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) {
        next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      row = next;
    }
    return row[b.length];
  };
  const ranked = known
    .map((k) => [k, distance(field.toLowerCase(), k.toLowerCase())])
    .filter(([k, d]) => d <= 2 || k.toLowerCase().startsWith(field.toLowerCase()))
    .sort((a, b) => a[1] - b[1]);
  return ranked[0]?.[0];
}

function yamlFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

// Every file's objects, then every kustomization's build.
function validateManifestTree(dir) {
  const files = yamlFiles(dir).sort();
  const patchFiles = new Set();
  const parsed = files.map((f) => [f, readDocuments(f)]);
  const kustomizations = [];
  for (const [f, docs] of parsed) {
    for (const d of docs.filter((d) => KUSTOMIZE.has(d?.apiVersion))) {
      counts.kustomizations++;
      kustomizations.push(path.dirname(f));
      for (const p of d.patches ?? []) if (p.path) patchFiles.add(path.resolve(path.dirname(f), p.path));
    }
  }
  for (const [f, docs] of parsed) {
    // A strategic-merge patch is a fragment of an object, not one: the build it patches is validated.
    if (patchFiles.has(path.resolve(f))) continue;
    for (const d of docs) if (!KUSTOMIZE.has(d?.apiVersion)) validateObject(f, d);
  }
  for (const k of kustomizations) checkBuild(k);
}

// Renders the kustomization in dir and checks what it produces: each object against its schema,
// and the cross-checks. A Component is rendered on the base, the way an overlay would use it.
function checkBuild(dir) {
  counts.builds++;
  // Only a peek at the kind: the renderer reports a kustomization.yaml that is missing or broken.
  const file = path.join(dir, "kustomization.yaml");
  const first = fs.existsSync(file) ? parseAllDocuments(fs.readFileSync(file, "utf8"))[0] : undefined;
  const component = first && !first.errors.length && first.toJS()?.kind === "Component";
  const context = component ? "rendered on the base: " : "rendered: ";
  const entries = component
    ? renderKustomization({ resources: [BASE], components: [path.resolve(dir)] }, file, problem)
    : renderDirectory(dir, problem);
  for (const { obj } of entries) validateObject(dir, obj, context);
  if (entries.some(({ obj }) => obj?.kind === "Deployment")) {
    crossCheck(dir, entries, (file, message) => problem(file, `in the build of ${path.relative(process.cwd(), dir)}: ${message}`));
  }
}

// The cross-checks of a base directory's files as they are (the test edits a copy of the base).
function checkBase(dir) {
  const entries = yamlFiles(dir).flatMap((file) => readDocuments(file).map((obj) => ({ obj, file })));
  crossCheck(dir, entries, problem);
}

// What the worker and KEDA need to agree on, in one kustomize base or build: entries are
// { obj, file }; problem(file, message) reports.
function crossCheck(dir, entries, problem) {
  const one = (kind) => {
    const entry = entries.find(({ obj }) => obj?.kind === kind);
    return entry ? [entry.file, entry.obj] : [path.join(dir, "?"), undefined];
  };
  const [cmFile, cm] = one("ConfigMap");
  const [depFile, dep] = one("Deployment");
  const [soFile, so] = one("ScaledObject");
  const [svcFile, svc] = one("Service");
  const [pdbFile, pdb] = one("PodDisruptionBudget");
  for (const [kind, o] of [["ConfigMap", cm], ["Deployment", dep], ["ScaledObject", so], ["Service", svc], ["PodDisruptionBudget", pdb]]) {
    if (!o) problem(dir, `the base has no ${kind}`);
  }
  if (!cm || !dep) return;
  const env = cm.data ?? {};
  const need = (key) => {
    if (env[key] === undefined) problem(cmFile, `ConfigMap ${cm.metadata?.name} lacks ${key}`);
    return env[key];
  };
  const port = Number(need("FOVEA_METRICS_PORT"));
  const graceMs = Number(need("FOVEA_SHUTDOWN_GRACE_MS"));
  const threads = Number(need("FOVEA_NUM_STREAM_THREADS"));
  const group = need("FOVEA_APPLICATION_ID");
  const topic = need("FOVEA_TOPIC_IMAGES");

  const pod = dep.spec?.template?.spec ?? {};
  const container = (pod.containers ?? [])[0] ?? {};
  const portDef = (container.ports ?? []).find((p) => p.name === "metrics");
  if (!portDef) problem(depFile, "the worker container has no port named metrics");
  else if (portDef.containerPort !== port) {
    problem(depFile, `containerPort ${portDef.containerPort} is not FOVEA_METRICS_PORT ${port}`);
  }
  if (!(container.envFrom ?? []).some((e) => e.configMapRef?.name === cm.metadata?.name)) {
    problem(depFile, `the worker does not take its environment from ConfigMap ${cm.metadata?.name}`);
  }
  if (!(container.envFrom ?? []).some((e) => e.secretRef)) {
    problem(depFile, "the worker takes no Secret (SASL / registry credentials)");
  }
  for (const [probe, want] of [["startupProbe", "/startup"], ["livenessProbe", "/live"], ["readinessProbe", "/ready"]]) {
    const get = container[probe]?.httpGet;
    if (!get) problem(depFile, `${probe} missing (GET ${want})`);
    else if (get.path !== want || (get.port !== "metrics" && get.port !== port)) {
      problem(depFile, `${probe} is GET ${get.path} on port ${get.port}; expected ${want} on metrics (${port})`);
    }
  }
  const termS = pod.terminationGracePeriodSeconds ?? 30;
  if (!(termS * 1000 > graceMs)) {
    problem(depFile, `terminationGracePeriodSeconds ${termS} s must exceed FOVEA_SHUTDOWN_GRACE_MS ${graceMs} ms, or Kubernetes kills the worker mid-drain`);
  }
  const sc = container.securityContext ?? {};
  if (!(pod.securityContext?.runAsNonRoot || sc.runAsNonRoot)) problem(depFile, "runAsNonRoot is not set");
  if (sc.allowPrivilegeEscalation !== false) problem(depFile, "allowPrivilegeEscalation is not false");
  if (!container.resources?.requests?.memory || !container.resources?.limits?.memory) {
    problem(depFile, "the worker needs a memory request and limit");
  }
  const labels = dep.spec?.template?.metadata?.labels ?? {};
  const selects = (sel) => Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);
  if (svc) {
    if (!selects(svc.spec?.selector)) problem(svcFile, "the Service's selector does not match the worker pods");
    if (!(svc.spec?.ports ?? []).some((p) => p.targetPort === "metrics" || p.targetPort === port)) {
      problem(svcFile, "the Service does not expose the metrics port");
    }
  }
  if (pdb && !selects(pdb.spec?.selector?.matchLabels)) problem(pdbFile, "the PodDisruptionBudget does not select the worker pods");

  if (so) {
    if (so.spec?.scaleTargetRef?.name !== dep.metadata?.name) {
      problem(soFile, `scaleTargetRef ${so.spec?.scaleTargetRef?.name} is not Deployment ${dep.metadata?.name}`);
    }
    if (dep.spec?.replicas !== undefined) problem(depFile, "replicas is set: KEDA owns it, and every apply would reset it");
    const kafka = (so.spec?.triggers ?? []).find((t) => t.type === "kafka");
    if (!kafka) problem(soFile, "no kafka trigger");
    else {
      const m = kafka.metadata ?? {};
      if (m.consumerGroup !== group) problem(soFile, `consumerGroup ${m.consumerGroup} is not application.id ${group}`);
      if (m.topic !== topic) problem(soFile, `topic ${m.topic} is not topic.images ${topic}`);
      if (m.bootstrapServers !== env.FOVEA_BOOTSTRAP_SERVERS) {
        problem(soFile, `bootstrapServers ${m.bootstrapServers} is not FOVEA_BOOTSTRAP_SERVERS ${env.FOVEA_BOOTSTRAP_SERVERS}`);
      }
      if (!(Number(m.lagThreshold) > 0)) problem(soFile, "lagThreshold must be a positive number");
    }
    const partitions = Number(/images\.raw at (\d+) partitions/.exec(fs.readFileSync(soFile, "utf8"))?.[1]);
    const max = so.spec?.maxReplicaCount;
    if (!Number.isInteger(max)) problem(soFile, "maxReplicaCount must be set (partitions / threads)");
    else if (!(partitions > 0)) problem(soFile, 'the comment must say "images.raw at N partitions", the cap\'s basis');
    else if (max * threads > partitions) {
      problem(soFile, `maxReplicaCount ${max} x ${threads} stream threads > ${partitions} partitions: threads would idle`);
    }
  }
}

function checkDockerfile(file) {
  counts.dockerfiles++;
  const text = fs.readFileSync(file, "utf8");
  for (const d of lintDockerfile(text)) {
    problem(file, `line ${d.range.start.line + 1}: ${d.message}`);
  }
  const lines = text.split("\n").filter((l) => !l.trim().startsWith("#"));
  const instr = (name) => lines.filter((l) => new RegExp(`^${name}\\s`, "i").test(l.trim()));
  if (instr("FROM").length < 2) problem(file, "not a multi-stage build (Maven build, then a runtime image)");
  const user = instr("USER").at(-1);
  if (!user || /\b(root|0)(:|\s*$)/.test(user.replace(/^USER\s+/i, ""))) problem(file, "the runtime stage must run as a non-root USER");
  const entry = instr("ENTRYPOINT").at(-1) ?? "";
  let argv;
  try {
    argv = JSON.parse(entry.replace(/^ENTRYPOINT\s+/i, ""));
  } catch {
    problem(file, "ENTRYPOINT must be in exec (JSON) form, so java is PID 1 and gets SIGTERM");
  }
  if (argv && !(argv[0] === "java" && argv.includes("dev.fovea.ops.cli.Fovea") && argv.at(-1) === "worker")) {
    problem(file, `ENTRYPOINT ${JSON.stringify(argv)} does not run java ... dev.fovea.ops.cli.Fovea worker`);
  }
  if (!/org\.bytedeco\.javacpp\.cachedir=/.test(text)) problem(file, "JavaCPP's cache directory is not set");
  if (/\.gpu$/.test(file)) {
    if (!/mvn[^\n]*-Pgpu/.test(text)) problem(file, "the GPU image must build with -Pgpu");
    if (!/FROM\s+nvidia\/cuda:12[^\s]*cudnn9/.test(text)) problem(file, "the GPU image must run on a CUDA 12 + cuDNN 9 base");
  }
}

// The worker's metrics: name -> {type, labels}.
function workerMetrics() {
  const metrics = new Map();
  for (const line of fs.readFileSync(path.join(DEPLOY, "worker-metrics.txt"), "utf8").split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const [name, type, labels = ""] = line.trim().split(/\s+/);
    metrics.set(name, { type, labels: labels ? labels.split(",") : [] });
  }
  return metrics;
}

const PROMQL_WORDS = new Set(
  ("sum min max avg count stddev stdvar topk bottomk quantile count_values group by without on ignoring " +
    "group_left group_right bool and or unless offset rate irate increase delta idelta deriv " +
    "histogram_quantile label_values label_replace label_join abs ceil floor round clamp clamp_min clamp_max " +
    "sum_over_time avg_over_time max_over_time min_over_time count_over_time last_over_time vector scalar " +
    "time absent absent_over_time sort sort_desc predict_linear resets changes inf nan").split(" "));
// Labels Prometheus adds when scraping through the Service / ServiceMonitor.
const TARGET_LABELS = ["namespace", "pod", "job", "instance", "container", "service", "endpoint"];

function checkQuery(file, where, expr, metrics, used) {
  counts.queries++;
  const labelsUsed = new Set();
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_, inner) => {
    for (const m of inner.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) labelsUsed.add(m[1]);
    return " ";
  });
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, __, list) => {
    list.split(",").map((s) => s.trim()).filter(Boolean).forEach((l) => labelsUsed.add(l));
    return " ";
  });
  // label_values(metric, label)
  rest = rest.replace(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g, (_, m, l) => {
    labelsUsed.add(l);
    return ` ${m ?? ""} `;
  });
  rest = rest.replace(/\[[^\]]*\]/g, " ").replace(/\$\{?[a-zA-Z_]+\}?/g, " ");
  const allowed = new Set(TARGET_LABELS);
  let found = 0;
  for (const [token] of rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    if (PROMQL_WORDS.has(token) || /^[eE]$/.test(token)) continue;
    const base = token.replace(/_(bucket|sum|count)$/, "");
    const m = metrics.get(token) ?? (metrics.get(base)?.type === "histogram" ? metrics.get(base) : undefined);
    if (!m) {
      problem(file, `${where}: ${token} is not a metric of the worker (worker-metrics.txt)`);
      continue;
    }
    found++;
    used.add(metrics.has(token) ? token : base);
    m.labels.forEach((l) => allowed.add(l));
    if (token.endsWith("_bucket")) allowed.add("le");
  }
  if (found === 0) problem(file, `${where}: queries no metric of the worker`);
  for (const l of labelsUsed) {
    if (!allowed.has(l)) problem(file, `${where}: label ${l} is on none of the metrics it queries`);
  }
}

function checkDashboard(file) {
  counts.dashboards++;
  let dash;
  try {
    dash = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    problem(file, `not JSON: ${e.message}`);
    return;
  }
  const metrics = workerMetrics();
  const used = new Set();
  if (!Array.isArray(dash.panels) || dash.panels.length === 0) problem(file, "no panels");
  const panels = (dash.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
  for (const p of panels) {
    if (p.type === "row") continue;
    if (!p.targets?.length) problem(file, `panel "${p.title}" has no query`);
    for (const t of p.targets ?? []) checkQuery(file, `panel "${p.title}" ${t.refId}`, t.expr ?? "", metrics, used);
  }
  for (const v of dash.templating?.list ?? []) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : v.query?.query;
    checkQuery(file, `variable ${v.name}`, q ?? "", metrics, used);
  }
  for (const name of metrics.keys()) {
    if (!used.has(name)) problem(file, `the worker's ${name} is on no panel`);
  }
}

const args = process.argv.slice(2);
if (args.length === 0) {
  // The base's cross-checks run on its build (and on every other build, which holds the base).
  validateManifestTree(path.join(DEPLOY, "k8s"));
  checkDockerfile(path.join(DEPLOY, "docker", "Dockerfile"));
  checkDockerfile(path.join(DEPLOY, "docker", "Dockerfile.gpu"));
  for (const f of fs.readdirSync(path.join(DEPLOY, "grafana")).filter((f) => f.endsWith(".json"))) {
    checkDashboard(path.join(DEPLOY, "grafana", f));
  }
} else {
  for (let i = 0; i < args.length; i += 2) {
    const [flag, arg] = [args[i], args[i + 1]];
    if (!arg) throw new Error(`${flag} needs an argument`);
    if (flag === "--manifest") readDocuments(arg).forEach((o) => validateObject(arg, o));
    else if (flag === "--base") checkBase(arg);
    else if (flag === "--render") checkBuild(arg);
    else if (flag === "--dashboard") checkDashboard(arg);
    else if (flag === "--dockerfile") checkDockerfile(arg);
    else throw new Error(`unknown option ${flag}`);
  }
}

for (const p of problems) console.log(p);
console.log(
  `deploy validation: ${counts.objects} Kubernetes objects, ${counts.kustomizations} kustomizations, ` +
    `${counts.builds} builds rendered (${counts.renderedObjects} objects), ` +
    `${counts.dockerfiles} Dockerfiles, ${counts.dashboards} dashboards (${counts.queries} queries): ` +
    `${problems.length} problem${problems.length === 1 ? "" : "s"}`);
process.exit(problems.length ? 1 : 0);
