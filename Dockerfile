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

# --- runtime: a JRE and the layers, the least often changed first -------------------------------------------------
FROM eclipse-temurin:25.0.3_9-jre-noble
WORKDIR /app
COPY --from=build /workspace/extracted/dependencies/ ./
COPY --from=build /workspace/extracted/snapshot-dependencies/ ./
COPY --from=build /workspace/extracted/application/ ./
# AOT cache (Java 25): a training run starts the application context once and records the classes it loads and
# links; starting from app.aot then takes a fraction of the time. No database exists at build time, so the run
# leaves out what would connect (Flyway, Hibernate's schema check); the app still starts in full from the cache.
# Hibernate bootstraps in the foreground here: the exit on refresh would halt a background bootstrap half-way.
RUN ["java", "-XX:AOTCacheOutput=app.aot", "-Dspring.context.exit=onRefresh", "-Dspring.flyway.enabled=false", \
     "-Dspring.data.jpa.repositories.bootstrap-mode=default", \
     "-Dspring.jpa.hibernate.ddl-auto=none", "-Dspring.jpa.properties.hibernate.boot.allow_jdbc_metadata_access=false", \
     "-Dspring.jpa.database-platform=org.hibernate.dialect.PostgreSQLDialect", \
     "-jar", "app.jar"]
# Numeric, so Kubernetes can verify runAsNonRoot; the files stay root-owned, read-only to the app
USER 10001:10001
# The API, and the actuator (health probes, /actuator/prometheus)
EXPOSE 8080 8081
# The heap is half the container's memory limit; the rest holds metaspace, threads, code cache and buffers.
# An OutOfMemoryError ends the process, so Kubernetes restarts it instead of it limping on.
ENTRYPOINT ["java", "-XX:AOTCache=app.aot", "-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError", "-jar", "app.jar"]
