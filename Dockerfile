# syntax=docker/dockerfile:1
# counter-service image: docker build -t counter-service:0.1.0 .   (see docs/kubernetes.md)
# .ci/containers builds it with podman in CI; ImageIT checks its layers, PlayedChartIT runs it as the chart's pods.

# --- build: the Maven wrapper packages the layered jar, which is then split into its layers: a plain app.jar whose
# manifest lists the dependency jars in lib/ (no Spring Boot launcher, so the JVM's own class loader loads every class
# and the AOT cache can link them all ahead of time; docs/kubernetes.md, Start-up)
FROM eclipse-temurin:25.0.3_9-jdk-noble AS build
WORKDIR /workspace
# Dependencies change less often than sources: resolve them in a layer of their own (the format settings come
# along: the build checks the code format in its validate phase)
COPY mvnw pom.xml .springjavaformatconfig ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline
COPY src/main src/main
RUN ./mvnw -B -q package -Dmaven.test.skip=true \
 && java -Djarmode=tools -jar target/counter-service-*.jar extract --layers --application-filename app.jar \
    --destination extracted

# --- training: the runtime image with a throwaway PostgreSQL, in which a full start records the AOT cache (Java 25):
# the classes it loads and links, and the profiles of the methods it runs. The start goes as in production, through
# Flyway, Hibernate's schema check, readiness and a few requests; the final stage copies only the cache.
FROM eclipse-temurin:25.0.3_9-jre-noble AS training
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql curl \
    >/dev/null
WORKDIR /app
# The final stage's layers, after the packages so that a code change reuses their layer
COPY --from=build /workspace/extracted/dependencies/ ./
COPY --from=build /workspace/extracted/snapshot-dependencies/ ./
COPY --from=build /workspace/extracted/application/ ./
# The application's own defaults reach this database: localhost:5432/counter as the user counter
RUN set -e; bin=$(ls -d /usr/lib/postgresql/*/bin); install -d -o postgres /tmp/pg; \
    runuser -u postgres -- "$bin/initdb" -D /tmp/pg -A trust -U postgres >/dev/null; \
    runuser -u postgres -- "$bin/pg_ctl" -D /tmp/pg -o "-c listen_addresses=127.0.0.1 -k /tmp" -w start >/dev/null; \
    "$bin/psql" -h 127.0.0.1 -U postgres -q -c "CREATE USER counter" -c "CREATE DATABASE counter OWNER counter"; \
    java -XX:+UseG1GC -XX:AOTCacheOutput=app.aot -jar app.jar > training.log 2>&1 & app=$!; \
    for i in $(seq 240); do curl -sf localhost:8081/actuator/health/readiness >/dev/null && break; sleep 0.5; done; \
    curl -sf localhost:8081/actuator/health/readiness >/dev/null || { cat training.log; exit 1; }; \
    curl -sf localhost:8080/next; curl -sf -H 'Accept: application/json' 'localhost:8080/next?count=2'; \
    curl -sf -H 'Idempotency-Key: training' localhost:8080/next; curl -sf localhost:8081/actuator/prometheus >/dev/null; \
    kill -TERM $app; wait $app || [ $? = 143 ] || { cat training.log; exit 1; }; test -s app.aot; \
    runuser -u postgres -- "$bin/pg_ctl" -D /tmp/pg -m fast stop >/dev/null

# --- runtime: a JRE and the layers, the least often changed first -------------------------------------------------
FROM eclipse-temurin:25.0.3_9-jre-noble
WORKDIR /app
COPY --from=build /workspace/extracted/dependencies/ ./
COPY --from=build /workspace/extracted/snapshot-dependencies/ ./
COPY --from=build /workspace/extracted/application/ ./
# Valid here: the same JRE, and the same jars at the same paths with the same sizes and times
COPY --from=training /app/app.aot ./
# Numeric, so Kubernetes can verify runAsNonRoot; the files stay root-owned, read-only to the app
USER 10001:10001
# The API, and the actuator (health probes, /actuator/prometheus)
EXPOSE 8080 8081
# The heap is half the container's memory limit; the rest holds metaspace, threads, code cache and buffers.
# G1 as in the training run, whatever the limit: the JVM would pick Serial below 1792 MB or 2 CPUs, and Serial cannot
# load the cache's archived heap objects into a small initial heap, so the JVM would refuse to start (G1 maps them).
# An OutOfMemoryError ends the process, so Kubernetes restarts it instead of it limping on.
ENTRYPOINT ["java", "-XX:AOTCache=app.aot", "-XX:+UseG1GC", "-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError", "-jar", "app.jar"]
