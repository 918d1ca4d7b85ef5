#!/usr/bin/env bash
# Runs every test of Fovea on a fresh machine: installs what is missing (JDK, Maven, Node for the
# kafkajs interop test and the deployment validator), then unit, topology and integration tests
# (mvn verify).
# Extra arguments go to Maven, e.g. ./fovea test -pl schemas
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source ops/scripts/prerequisites.sh

ensure_java_and_maven
ensure_node
# The kafkajs + @kafkajs/confluent-schema-registry client of the interop test, pinned by its lockfile.
(cd integration-tests/src/test/node && npm ci --no-audit --no-fund --loglevel=error)
# The offline validator of ops/deploy (Kubernetes + KEDA schemas, Dockerfile linter), pinned by its
# lockfile; DeployManifestsTest runs it.
(cd ops/deploy/validate && npm ci --no-audit --no-fund --loglevel=error)

start=$(date +%s)
ops/scripts/format.sh --check
mvn -B verify "$@"
echo "fovea: all tests passed in $(( $(date +%s) - start )) s"
