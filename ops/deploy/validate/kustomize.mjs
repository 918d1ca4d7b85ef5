// The part of kustomize (kubectl kustomize, kubectl apply -k) that Fovea's kustomizations use, so
// that validate.mjs checks the objects an overlay or a component really produces, not only the
// files it names. CI has no kubectl; this was compared with `kubectl kustomize` (v5.5) by hand.
// Supported:
//  - resources: YAML files, and directories holding a kustomization (kind Kustomization);
//  - components: directories holding a kind Component, applied in order to what is built so far;
//  - labels: pairs, includeSelectors (kustomize's commonLabels field specs), includeTemplates;
//  - images: name, newName, newTag;
//  - patches: path or inline patch, JSON 6902 (with a target) or strategic merge (its own
//    kind/name, or a target); target by group, version, kind and name.
// Any other field is reported, not ignored: an unrendered field would pass unchecked. So is a
// patch target that matches nothing, and a JSON patch whose path does not exist.
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

export const KUSTOMIZE_API = new Set(["kustomize.config.k8s.io/v1beta1", "kustomize.config.k8s.io/v1alpha1"]);
const FIELDS = new Set(["apiVersion", "kind", "resources", "components", "labels", "images", "patches"]);
const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

// Builds the kustomization in dir. Returns [{ obj, file }]: each object and the file it came
// from. report(file, message) gets one call per problem.
export function renderDirectory(dir, report, kind = "Kustomization") {
  const file = KUSTOMIZATION_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!file) {
    report(dir, "holds no kustomization.yaml");
    return [];
  }
  const k = readYaml(file, report)[0] ?? {};
  if ((k.kind ?? "Kustomization") !== kind) {
    report(file, `is a ${k.kind}, where a ${kind} is expected`);
    return [];
  }
  return build(k, file, [], report);
}

// Builds a kustomization given as an object, with paths relative to file's directory (the
// validator combines the base with each component this way).
export function renderKustomization(k, file, report) {
  return build(k, file, [], report);
}

// A kustomization's own resources are added to input (a component transforms what it is given),
// then its components applied in order, then its transformers in kustomize's order: patches,
// labels, images.
function build(k, file, input, report) {
  const dir = path.dirname(file);
  for (const field of Object.keys(k)) {
    if (!FIELDS.has(field)) report(file, `${field}: the validator does not render this field, so its output is not checked`);
  }
  let resources = [...input];
  for (const rel of k.resources ?? []) {
    const p = path.resolve(dir, rel);
    if (!fs.existsSync(p)) {
      report(file, `resources: ${rel} does not exist`);
      continue;
    }
    const added = fs.statSync(p).isDirectory()
      ? renderDirectory(p, report, "Kustomization")
      : readYaml(p, report).map((obj) => ({ obj, file: p }));
    for (const entry of added) {
      // kustomize refuses two objects with one id; the second would otherwise replace the first.
      if (resources.some((r) => id(r.obj) === id(entry.obj))) report(file, `${rel}: ${id(entry.obj)} is already in the build`);
      else resources.push(entry);
    }
  }
  for (const rel of k.components ?? []) {
    const p = path.resolve(dir, rel);
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) {
      report(file, `components: ${rel} is not a directory`);
      continue;
    }
    const cfile = KUSTOMIZATION_FILES.map((f) => path.join(p, f)).find((f) => fs.existsSync(f));
    const component = cfile ? readYaml(cfile, report)[0] : undefined;
    if (component?.kind !== "Component") {
      report(file, `components: ${rel} holds no kustomization of kind Component`);
      continue;
    }
    resources = build(component, cfile, resources, report);
  }
  applyPatches(k, file, resources, report);
  applyLabels(k, file, resources, report);
  applyImages(k, file, resources, report);
  return resources;
}

function readYaml(file, report) {
  const objects = [];
  for (const doc of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    for (const e of doc.errors) report(file, `YAML: ${e.message.split("\n")[0]}`);
    if (doc.errors.length) continue;
    const value = doc.toJS();
    if (value != null) objects.push(value);
  }
  return objects;
}

const groupVersion = (obj) => {
  const [group, version] = String(obj?.apiVersion ?? "").includes("/") ? obj.apiVersion.split("/") : ["", obj?.apiVersion];
  return { group, version };
};
const id = (obj) => `${groupVersion(obj).group || "core"}/${obj?.kind}/${obj?.metadata?.namespace ?? ""}/${obj?.metadata?.name}`;
export const objectName = (obj) => `${obj?.kind ?? "?"}/${obj?.metadata?.name ?? "?"}`;

// ---- patches

const TARGET_FIELDS = new Set(["group", "version", "kind", "name"]);

// kustomize's selector: group, version and kind compared exactly, name as an anchored regex.
function selects(target, obj) {
  const { group, version } = groupVersion(obj);
  return (target.group === undefined || target.group === group) &&
    (target.version === undefined || target.version === version) &&
    (target.kind === undefined || target.kind === obj.kind) &&
    (target.name === undefined || new RegExp(`^(?:${target.name})$`).test(obj.metadata?.name ?? ""));
}

function applyPatches(k, file, resources, report) {
  for (const [i, p] of (k.patches ?? []).entries()) {
    const where = `patches[${i}]${p.path ? ` (${p.path})` : ""}`;
    for (const field of Object.keys(p)) {
      if (!["path", "patch", "target"].includes(field)) report(file, `${where}: ${field}: the validator does not render this field`);
    }
    for (const field of Object.keys(p.target ?? {})) {
      if (!TARGET_FIELDS.has(field)) report(file, `${where}: target ${field}: the validator does not render this field`);
    }
    let text = p.patch;
    if (p.path) {
      const patchFile = path.resolve(path.dirname(file), p.path);
      if (!fs.existsSync(patchFile)) {
        report(file, `${where}: ${p.path} does not exist`);
        continue;
      }
      text = fs.readFileSync(patchFile, "utf8");
    }
    if (typeof text !== "string") {
      report(file, `${where}: neither path nor patch`);
      continue;
    }
    const docs = readDocs(text, (message) => report(file, `${where}: ${message}`));
    if (docs.length === 1 && Array.isArray(docs[0])) {
      if (!p.target) {
        report(file, `${where}: a JSON patch needs a target`);
        continue;
      }
      const targets = resources.filter((r) => selects(p.target, r.obj));
      if (!targets.length) report(file, `${where}: target ${JSON.stringify(p.target)} matches no object`);
      for (const r of targets) {
        const patched = jsonPatch(r.obj, docs[0], (message) => report(file, `${where}: ${objectName(r.obj)}: ${message}`));
        if (patched) r.obj = patched;
      }
      continue;
    }
    for (const doc of docs) {
      let targets;
      if (p.target) {
        targets = resources.filter((r) => selects(p.target, r.obj));
        // With a target, the patch's own kind and name are not what it selects by (kustomize
        // overwrites them with each target's).
        doc.apiVersion = doc.kind = undefined;
        if (doc.metadata) doc.metadata.name = doc.metadata.namespace = undefined;
      } else {
        const self = { ...groupVersion(doc), kind: doc.kind, name: escapeRegex(doc.metadata?.name ?? "") };
        targets = resources.filter((r) => selects(self, r.obj));
      }
      if (!targets.length) {
        report(file, `${where}: ${p.target ? `target ${JSON.stringify(p.target)}` : objectName(doc)} matches no object`);
      }
      for (const r of targets) {
        r.obj = strategicMerge(r.obj, doc, r.obj, [], (message) => report(file, `${where}: ${objectName(r.obj)}: ${message}`));
      }
    }
  }
}

const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function readDocs(text, report) {
  const docs = [];
  for (const doc of parseAllDocuments(text)) {
    for (const e of doc.errors) report(`YAML: ${e.message.split("\n")[0]}`);
    if (!doc.errors.length && doc.toJS() != null) docs.push(doc.toJS());
  }
  return docs;
}

// RFC 6902 on a copy of obj; the copy, or undefined (after a report) if an operation fails, as
// kustomize fails the build then.
function jsonPatch(obj, ops, report) {
  const doc = structuredClone(obj);
  const tokens = (pointer) => String(pointer).split("/").slice(1).map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  // The container that holds the pointer's last token, and that token; undefined if the
  // container does not exist.
  const locate = (pointer) => {
    const ts = tokens(pointer);
    let parent = doc;
    for (const t of ts.slice(0, -1)) {
      parent = parent !== null && typeof parent === "object" ? parent[t] : undefined;
      if (parent === undefined) return undefined;
    }
    return parent !== null && typeof parent === "object" && ts.length ? { parent, key: ts.at(-1) } : undefined;
  };
  const has = (at) => at && (Array.isArray(at.parent) ? /^\d+$/.test(at.key) && Number(at.key) < at.parent.length : Object.hasOwn(at.parent, at.key));
  const get = (at) => at.parent[at.key];
  const remove = (at) => (Array.isArray(at.parent) ? at.parent.splice(Number(at.key), 1) : delete at.parent[at.key]);
  const add = (at, value) => {
    if (!Array.isArray(at.parent)) at.parent[at.key] = value;
    else if (at.key === "-") at.parent.push(value);
    else if (/^\d+$/.test(at.key) && Number(at.key) <= at.parent.length) at.parent.splice(Number(at.key), 0, value);
    else return false;
    return true;
  };
  for (const op of ops) {
    const at = locate(op.path);
    const from = op.from === undefined ? undefined : locate(op.from);
    let ok = true;
    if (op.op === "add") ok = at !== undefined && add(at, op.value);
    else if (op.op === "remove") ok = has(at) && remove(at) !== false;
    else if (op.op === "replace") {
      ok = has(at);
      if (ok) at.parent[at.key] = op.value; // an array index as a string works as a number does
    }
    else if (op.op === "move" || op.op === "copy") {
      ok = has(from) && at !== undefined;
      if (ok) {
        const value = structuredClone(get(from));
        if (op.op === "move") remove(from);
        ok = add(locate(op.path), value);
      }
    } else if (op.op === "test") ok = has(at) && JSON.stringify(get(at)) === JSON.stringify(op.value);
    else {
      report(`unknown JSON patch op ${op.op}`);
      return undefined;
    }
    if (!ok) {
      const which = op.op === "add" ? "the parent of" : op.op === "test" ? "the value at" : "";
      report(`${op.op} ${op.path}${op.from ? ` from ${op.from}` : ""}: ${which ? `${which} ` : ""}the path does not exist${op.op === "test" ? " or differs" : ""}`);
      return undefined;
    }
  }
  return doc;
}

// Lists that a strategic-merge patch merges item by item, by this key (the patchMergeKey of
// k8s.io/api's types, for the fields Fovea's objects have). Every other list, and every list of a
// custom resource (no strategic-merge schema), is replaced whole, as kustomize does.
const MERGE_KEYS = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  imagePullSecrets: "name",
  topologySpreadConstraints: "topologyKey",
  hostAliases: "ip",
};
// ports merge by containerPort in a container, by port in a Service.
const mergeKey = (root, field) => {
  if (groupVersion(root).group.includes(".")) return undefined; // a custom resource
  if (field === "ports") return root.kind === "Service" ? "port" : "containerPort";
  return MERGE_KEYS[field];
};

function strategicMerge(base, patch, root, where, report) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const result = base !== null && typeof base === "object" && !Array.isArray(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (key.startsWith("$")) {
      report(`${[...where, key].join("/")}: the validator does not render strategic-merge directives`);
      continue;
    }
    if (value === null) {
      delete result[key]; // null deletes a field
      continue;
    }
    const mk = Array.isArray(value) ? mergeKey(root, key) : undefined;
    if (mk && Array.isArray(result[key])) {
      // kustomize's order: the patch's items (merged into the base's of the same key), then the
      // base's items the patch does not name.
      const original = result[key];
      const named = (m) => m?.[mk] !== undefined && value.some((item) => item?.[mk] === m[mk]);
      result[key] = [
        ...value.map((item, i) => {
          const match = original.find((m) => m?.[mk] !== undefined && m[mk] === item?.[mk]);
          return match ? strategicMerge(match, item, root, [...where, key, i], report) : structuredClone(item);
        }),
        ...original.filter((m) => !named(m)),
      ];
    } else {
      result[key] = strategicMerge(result[key], value, root, [...where, key], report);
    }
  }
  return result;
}

// ---- labels

// kustomize's commonLabels field specs (api/konfig/builtinpluginconsts/commonlabels.go) for the
// kinds an app deploys: where includeSelectors puts the labels besides metadata/labels, and
// whether it creates the field when it is missing. A path runs through lists (each item).
const POD_AFFINITY = [
  "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
  "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
  "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
  "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
  "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
];
const SELECTOR_FIELDS = [
  { kind: "Service", group: "", path: "spec/selector", create: true },
  { kind: "ReplicationController", group: "", path: "spec/selector", create: true },
  { kind: "ReplicationController", group: "", path: "spec/template/metadata/labels", create: true, template: true },
  ...["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"].flatMap((kind) => [
    { kind, path: "spec/selector/matchLabels", create: true },
    { kind, path: "spec/template/metadata/labels", create: true, template: true },
    ...POD_AFFINITY.map((p) => ({ kind, group: "apps", path: p, create: false })),
  ]),
  { kind: "StatefulSet", group: "apps", path: "spec/volumeClaimTemplates/metadata/labels", create: true },
  { kind: "Job", group: "batch", path: "spec/selector/matchLabels", create: false },
  { kind: "Job", group: "batch", path: "spec/template/metadata/labels", create: true, template: true },
  { kind: "CronJob", group: "batch", path: "spec/jobTemplate/spec/selector/matchLabels", create: false },
  { kind: "CronJob", group: "batch", path: "spec/jobTemplate/metadata/labels", create: true },
  { kind: "CronJob", group: "batch", path: "spec/jobTemplate/spec/template/metadata/labels", create: true, template: true },
  { kind: "PodDisruptionBudget", group: "policy", path: "spec/selector/matchLabels", create: false },
  { kind: "NetworkPolicy", group: "networking.k8s.io", path: "spec/podSelector/matchLabels", create: false },
];

// Adds pairs to the map at path (through lists), creating the missing maps if create.
function addLabels(node, keys, pairs, create) {
  if (Array.isArray(node)) {
    node.forEach((item) => addLabels(item, keys, pairs, create));
    return;
  }
  if (node === null || typeof node !== "object") return;
  const [key, ...rest] = keys;
  if (node[key] == null) {
    if (!create) return;
    node[key] = {};
  }
  if (rest.length) addLabels(node[key], rest, pairs, create);
  else Object.assign(node[key], pairs);
}

function applyLabels(k, file, resources, report) {
  for (const [i, l] of (k.labels ?? []).entries()) {
    for (const field of Object.keys(l)) {
      if (!["pairs", "includeSelectors", "includeTemplates"].includes(field)) {
        report(file, `labels[${i}]: ${field}: the validator does not render this field`);
      }
    }
    const pairs = Object.fromEntries(Object.entries(l.pairs ?? {}).map(([key, v]) => [key, String(v)]));
    for (const r of resources) {
      addLabels(r.obj, ["metadata", "labels"], pairs, true);
      const { group } = groupVersion(r.obj);
      for (const spec of SELECTOR_FIELDS) {
        if (spec.kind !== r.obj.kind || (spec.group !== undefined && spec.group !== group)) continue;
        if (l.includeSelectors || (l.includeTemplates && spec.template)) {
          addLabels(r.obj, spec.path.split("/"), pairs, spec.create);
        }
      }
    }
  }
}

// ---- images

// name[:tag][@digest]; a registry's port is not a tag (the tag's colon comes after the last /).
function parseImage(image) {
  const [rest, digest] = image.split("@");
  const colon = rest.lastIndexOf(":");
  return colon > rest.lastIndexOf("/") ? { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest } : { name: rest, digest };
}

// Every container list of the object (pods, pod templates, job templates).
function eachContainer(node, fn) {
  if (Array.isArray(node)) node.forEach((item) => eachContainer(item, fn));
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (["containers", "initContainers", "ephemeralContainers"].includes(key) && Array.isArray(value)) value.forEach(fn);
      else eachContainer(value, fn);
    }
  }
}

function applyImages(k, file, resources, report) {
  for (const [i, image] of (k.images ?? []).entries()) {
    for (const field of Object.keys(image)) {
      if (!["name", "newName", "newTag"].includes(field)) report(file, `images[${i}]: ${field}: the validator does not render this field`);
    }
    for (const r of resources) {
      eachContainer(r.obj, (c) => {
        if (typeof c?.image !== "string") return;
        const old = parseImage(c.image);
        if (old.name !== image.name) return;
        const tag = image.newTag !== undefined ? `:${image.newTag}` : old.tag !== undefined ? `:${old.tag}` : "";
        const digest = image.newTag === undefined && old.digest ? `@${old.digest}` : "";
        c.image = `${image.newName ?? old.name}${tag}${digest}`;
      });
    }
  }
}
