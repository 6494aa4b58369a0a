package dev.counterservice.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The objects helm rendered, as JSON trees, with the look-ups the chart's tests share.
 */
record Manifests(List<JsonNode> objects) {

    static final String COMPONENT = "app.kubernetes.io/component";

    static Manifests parse(String yaml) {
        List<JsonNode> objects = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
            if (document != null) {
                objects.add(JsonMapper.shared().valueToTree(document));
            }
        }
        return new Manifests(List.copyOf(objects));
    }

    List<JsonNode> ofKind(String kind) {
        return objects.stream().filter(o -> o.path("kind").asString().equals(kind)).toList();
    }

    Optional<JsonNode> find(String kind, String name) {
        return ofKind(kind).stream().filter(o -> name(o).equals(name)).findFirst();
    }

    JsonNode get(String kind, String name) {
        return find(kind, name)
            .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " was rendered"));
    }

    /** The only object of a kind; fails when there are none or several. */
    JsonNode only(String kind) {
        List<JsonNode> all = ofKind(kind);
        if (all.size() != 1) {
            throw new AssertionError("expected one " + kind + ", found " + all.size());
        }
        return all.getFirst();
    }

    /**
     * Objects that run pods: Deployments, StatefulSets and bare Pods (the helm test pod).
     */
    List<JsonNode> workloads() {
        return objects.stream().filter(o -> podTemplate(o) != null).toList();
    }

    /** The workload whose pods carry a component label (app, postgresql, test). */
    JsonNode workload(String component) {
        return workloads().stream()
            .filter(w -> component.equals(podLabels(w).get(COMPONENT)))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no workload with component " + component));
    }

    Map<String, String> configMapData(String name) {
        return strings(get("ConfigMap", name).path("data"));
    }

    static String name(JsonNode object) {
        return object.path("metadata").path("name").asString();
    }

    /** A Pod itself, or the pod template of a controller. */
    static JsonNode podTemplate(JsonNode object) {
        return switch (object.path("kind").asString()) {
            case "Pod" -> object;
            case "Deployment", "StatefulSet", "DaemonSet", "Job" -> object.path("spec").path("template");
            default -> null;
        };
    }

    static JsonNode podSpec(JsonNode workload) {
        return podTemplate(workload).path("spec");
    }

    static Map<String, String> podLabels(JsonNode workload) {
        return strings(podTemplate(workload).path("metadata").path("labels"));
    }

    /** Init containers and containers. */
    static List<JsonNode> containers(JsonNode workload) {
        JsonNode spec = podSpec(workload);
        return Stream.concat(spec.path("initContainers").values().stream(), spec.path("containers").values().stream())
            .toList();
    }

    static JsonNode container(JsonNode workload, String name) {
        return containers(workload).stream()
            .filter(c -> c.path("name").asString().equals(name))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no container " + name + " in " + name(workload)));
    }

    /** A container's env entries with a literal value (name to value). */
    static Map<String, String> literalEnv(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        container.path("env")
            .values()
            .stream()
            .filter(e -> e.has("value"))
            .forEach(e -> env.put(e.path("name").asString(), e.path("value").asString()));
        return env;
    }

    static JsonNode envEntry(JsonNode container, String name) {
        return container.path("env")
            .values()
            .stream()
            .filter(e -> e.path("name").asString().equals(name))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no env " + name + " in container " + container.path("name")));
    }

    /** The number of a container's port, by the name probes and Services use. */
    static int containerPort(JsonNode container, String name) {
        return container.path("ports")
            .values()
            .stream()
            .filter(p -> p.path("name").asString().equals(name))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no container port named " + name))
            .path("containerPort")
            .asInt();
    }

    /** True when every label of the selector is on the pod. */
    static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    static Map<String, String> strings(JsonNode map) {
        Map<String, String> result = new LinkedHashMap<>();
        map.properties().forEach(e -> result.put(e.getKey(), e.getValue().isString() ? e.getValue().asString() : null));
        return result;
    }
}
