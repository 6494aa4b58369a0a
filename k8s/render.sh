#!/usr/bin/env bash
# Renders k8s/counter-service.yaml from chart/ with chart/ci/plain-manifests-values.yaml, with the helm the chart
# tests run (.ci/install-helm). PlainManifestsTests fails whenever the file and the chart disagree, and tells you to
# run this.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q test -Dtest=PlainManifestsTests -Dsurefire.failIfNoSpecifiedTests=false -Dk8s.render=true
echo "wrote k8s/counter-service.yaml"
