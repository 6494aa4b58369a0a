// Validates rendered Kubernetes objects against the API's OpenAPI schemas, as published on npm:
//   node validate.mjs FILE...   (each FILE a JSON array of objects; KubernetesSchemaIT writes them)
// - kubernetes-models (and @kubernetes-models/prometheus-operator for the Prometheus Operator's kinds) checks
//   types, required fields, enums and formats;
// - @kubernetes/client-node's serializer knows every field of every built-in type: an object read into its model
//   and written back loses the fields the API does not know, so any field missing afterwards is reported.
// Prints one line per object; exits 1 when any object is invalid or of a kind without a schema here (other than
// the custom resources listed in withoutSchema).
import { readFileSync } from "node:fs";
import * as clientModels from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";

const { ObjectSerializer } = clientModels;

const crdModels = { "monitoring.coreos.com": "@kubernetes-models/prometheus-operator" };
// Custom resources whose schema no npm package publishes: reported as not validated, not failed
const withoutSchema = new Set(["postgresql.cnpg.io/v1 Cluster"]);

async function model(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  const module = group === null ? `kubernetes-models/v1/${kind}`
    : `${crdModels[group] ?? "kubernetes-models"}/${group}/${version}/${kind}`;
  try {
    return (await import(module))[kind];
  } catch {
    return null;
  }
}

/** Paths of the fields of `original` that the API's type does not have (absent after the round trip). */
function unknownFields(original, known, path, found) {
  if (Array.isArray(original)) {
    original.forEach((value, i) => unknownFields(value, known?.[i], `${path}[${i}]`, found));
  } else if (original !== null && typeof original === "object") {
    for (const [key, value] of Object.entries(original)) {
      if (known === null || known === undefined || !(key in known)) {
        found.push(`${path}.${key}`);
      } else {
        unknownFields(value, known[key], `${path}.${key}`, found);
      }
    }
  }
  return found;
}

let failures = 0;
for (const file of process.argv.slice(2)) {
  for (const object of JSON.parse(readFileSync(file, "utf8"))) {
    const name = `${file}: ${object.apiVersion} ${object.kind} ${object.metadata?.name}`;
    if (withoutSchema.has(`${object.apiVersion} ${object.kind}`)) {
      console.log(`skip ${name}: no schema for this custom resource on npm`);
      continue;
    }
    const Model = await model(object.apiVersion, object.kind);
    if (Model === null) {
      console.log(`FAIL ${name}: no schema for this kind`);
      failures++;
      continue;
    }
    const problems = [];
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(error.message);
    }
    const type = `${object.apiVersion.split("/").pop().replace(/^v/, "V")}${object.kind}`;
    const builtIn = typeof clientModels[type] === "function";
    if (builtIn) {
      const known = ObjectSerializer.serialize(ObjectSerializer.deserialize(object, type), type);
      problems.push(...unknownFields(object, known, "", []).map((path) => `unknown field ${path}`));
    }
    console.log(`${problems.length === 0 ? "ok  " : "FAIL"} ${name}${builtIn ? "" : " (custom resource: unknown fields not checked)"}${problems.length === 0 ? "" : ": " + problems.join("; ")}`);
    failures += problems.length === 0 ? 0 : 1;
  }
}
process.exit(failures === 0 ? 0 : 1);
