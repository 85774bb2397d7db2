# Sourced by scripts/test.sh: runs Schemathesis against `pagewire dev` with docs/openapi.yaml, twice: once
# with the ids it generates (unknown ones: the 404 paths), once with real ids of the dev tenant pinned in
# (a template, a webhook endpoint and a job), each with positive and negative data. Needs PAGEWIRE_VENV
# (schemathesis), a built `pagewire` and scripts/lib/dev-server.sh.

# pagewire_contract_config FILE [pinned]: the Schemathesis configuration. A schema-valid request may still
# be refused, with a status the spec documents, for what JSON Schema cannot state; those statuses are
# accepted for those operations only:
#   - submitJob: the decoded file must be a document (judged by its bytes: 415);
#   - createTemplate, replaceTemplate: rules across fields (a region inside the page, a regex that
#     compiles with its `group`, unique names, `match` and `separator` fitting the type, a name that is
#     not only spaces: 400 `invalid_template`);
#   - createUpload: `static_values` above the size limit as JSON (400 `invalid_static_values`), an
#     endpoint of another template or a disabled one in `webhook_ids` (400);
#   - previewTemplate: the decoded file must be a readable document of a few pages (415, 400
#     `unreadable_file`, 413 `too_many_pages`), the inline template must keep the template rules (400), and
#     exactly one of `template_id` and `template` is given (400).
# With `pinned`, the path and query ids of the dev tenant's template, endpoint and job are set.
pagewire_contract_config() {
  local file="$1" pinned="${2:-}"
  cat >"$file" <<'TOML'
[[operations]]
include-operation-id = "submitJob"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "415", "429"]

[[operations]]
include-operation-id-regex = "^(createTemplate|replaceTemplate|createUpload)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
include-operation-id = "previewTemplate"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404", "413", "415", "429"]
TOML
  if [ "$pinned" = pinned ]; then
    cat >>"$file" <<TOML

[[operations]]
include-path-regex = "^/templates/"
parameters = { "path.id" = "$PAGEWIRE_CONTRACT_TEMPLATE" }

[[operations]]
include-path-regex = "^/webhooks/"
parameters = { "path.id" = "$PAGEWIRE_CONTRACT_WEBHOOK" }

[[operations]]
include-path-regex = "^/jobs/"
parameters = { "path.id" = "$PAGEWIRE_CONTRACT_JOB" }

[[operations]]
include-path = "/job-status"
parameters = { "query.job_id" = "$PAGEWIRE_CONTRACT_JOB" }
TOML
  fi
}

# Creates what the pinned run points at: the sample template pagewire dev made, one endpoint of it and
# one job of the sample invoice. Sets PAGEWIRE_CONTRACT_TEMPLATE, _WEBHOOK and _JOB.
pagewire_contract_ids() {
  local base="http://127.0.0.1:$PAGEWIRE_DEV_PORT"
  local py="$PAGEWIRE_VENV/bin/python"
  PAGEWIRE_CONTRACT_TEMPLATE=$(curl -sf "$base/templates" -H "x-auth: $PAGEWIRE_DEV_KEY" |
    "$py" -c 'import json, sys; print(json.load(sys.stdin)["templates"][0]["id"])')
  PAGEWIRE_CONTRACT_WEBHOOK=$(curl -sf "$base/webhooks" -H "x-auth: $PAGEWIRE_DEV_KEY" \
    -H 'content-type: application/json' \
    -d "{\"template_id\": \"$PAGEWIRE_CONTRACT_TEMPLATE\", \"name\": \"contract\", \"url\": \"https://receiver.example/hooks/:id\"}" |
    "$py" -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  PAGEWIRE_CONTRACT_JOB=$(curl -sf "$base/process-job" -H "x-auth: $PAGEWIRE_DEV_KEY" \
    -F "template_id=$PAGEWIRE_CONTRACT_TEMPLATE" -F "actual_image=@$PAGEWIRE_DEV_DIR/data/sample-invoice.pdf" |
    "$py" -c 'import json, sys; print(json.load(sys.stdin)["job_id"])')
}

pagewire_contract_test() {
  local st="$PAGEWIRE_VENV/bin/st"
  [ -x "$st" ] || { echo "schemathesis is missing from $PAGEWIRE_VENV" >&2; return 1; }
  # Every check Schemathesis has (PAGEWIRE_CONTRACT_CHECKS narrows it when hunting one failure).
  local checks="${PAGEWIRE_CONTRACT_CHECKS:-all}"
  local status=0 config run
  # Each run gets a fresh server: the first run's deletes must not leave the pinned ids gone.
  for run in generated pinned; do
    pagewire_dev_start || return 1
    config="$PAGEWIRE_DEV_DIR/schemathesis.toml"
    if [ "$run" = pinned ]; then
      pagewire_contract_ids || { pagewire_dev_stop; return 1; }
      pagewire_contract_config "$config" pinned
    else
      pagewire_contract_config "$config"
    fi
    echo "== schemathesis ($run ids; checks: $checks) against pagewire dev on 127.0.0.1:$PAGEWIRE_DEV_PORT"
    "$st" --config-file "$config" run docs/openapi.yaml --url "http://127.0.0.1:$PAGEWIRE_DEV_PORT" \
      -H "x-auth: $PAGEWIRE_DEV_KEY" --checks "$checks" --mode all \
      --max-examples "${PAGEWIRE_CONTRACT_EXAMPLES:-20}" --seed 1 --workers 1 \
      --max-time "${PAGEWIRE_CONTRACT_SECONDS:-90}" --no-color --warnings off || status=$?
    pagewire_dev_stop
  done
  return "$status"
}
