#!/bin/sh
# Registers what Least needs in a self-hosted Temporal: its namespace and its custom search
# attributes (workflows/search-attributes.ts). Runs in temporalio/admin-tools (service
# `temporal-setup`) after the server is up, on every start; it changes nothing that already exists.
#
# Environment: TEMPORAL_ADDRESS (host:port), TEMPORAL_NAMESPACE, TEMPORAL_NAMESPACE_RETENTION
# (how long closed workflows stay visible in Temporal, e.g. 30d; Least's own record is PostgreSQL).
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-30d}"
ATTRIBUTES="LeastRequester LeastEntitlement LeastStatus"

say() { echo "temporal-setup: $*"; }

# The port opens before the frontend serves; wait for the health check proper.
attempt=1
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  if [ "$attempt" -ge 60 ]; then
    say "Temporal at $ADDRESS did not report healthy" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
  say "namespace $NAMESPACE exists"
else
  say "creating namespace $NAMESPACE (retention $RETENTION)"
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$ADDRESS"
fi

registered() {
  temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS" 2>/dev/null \
    | grep -qw "$1"
}

# A namespace created a moment ago may not be visible to every server role yet: retry, then verify.
for name in $ATTRIBUTES; do
  attempt=1
  until registered "$name"; do
    if [ "$attempt" -ge 30 ]; then
      say "could not register search attribute $name in namespace $NAMESPACE" >&2
      exit 1
    fi
    temporal operator search-attribute create --namespace "$NAMESPACE" --address "$ADDRESS" \
      --name "$name" --type Keyword >/dev/null 2>&1 || true
    attempt=$((attempt + 1))
    registered "$name" || sleep 2
  done
  say "search attribute $name (Keyword) is registered in $NAMESPACE"
done
