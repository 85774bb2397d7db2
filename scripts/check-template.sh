#!/usr/bin/env bash
# Checks the SAM template (infra/template.yaml) offline:
#   1. cfn-lint, with SAM resources expanded;
#   2. `sam validate --lint`, the SAM CLI's own reading of it;
#   3. a self-check that the linter still catches mistakes: each deliberately broken copy must fail.
# Needs no AWS account: dummy credentials keep botocore from looking for real ones, nothing calls AWS.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/python-env.sh
venv=$(pagewire_venv infra scripts/requirements-infra.txt)
template=infra/template.yaml

export AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
export SAM_CLI_TELEMETRY=0

echo "== cfn-lint $template ($("$venv/bin/cfn-lint" --version))"
"$venv/bin/cfn-lint" -- "$template"

echo "== sam validate --lint ($("$venv/bin/sam" --version))"
"$venv/bin/sam" validate --lint --region us-east-1 --template-file "$template"

echo "== self-check: broken copies of the template must fail cfn-lint"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Each line: a name, then a sed expression that breaks one thing the linter must see.
broken_cases=(
  "reference-inside-sam-function|s/Resource: !GetAtt JobsTable.Arn/Resource: !GetAtt JobsTabel.Arn/"
  "reference-in-redrive-policy|s/deadLetterTargetArn: !GetAtt DeliveryDeadLetterQueue.Arn/deadLetterTargetArn: !GetAtt DeliveryDeadLetterQueu.Arn/"
  "http-api-event-to-unknown-api|0,/ApiId: !Ref HttpApi\$/s//ApiId: !Ref HttpApy/"
  "visibility-timeout-over-sqs-maximum|s/VisibilityTimeout: 900\$/VisibilityTimeout: 90000/"
  "ocr-layer-reference|s/\[!Ref OcrModelLayer\]\]/[!Ref OcrModelLayr]]/"
)
for case in "${broken_cases[@]}"; do
  name=${case%%|*}
  expression=${case#*|}
  copy="$scratch/$name.yaml"
  sed -e "$expression" "$template" >"$copy"
  if cmp -s "$template" "$copy"; then
    echo "self-check $name: the edit changed nothing; the template no longer has what it breaks" >&2
    exit 1
  fi
  if "$venv/bin/cfn-lint" -- "$copy" >"$scratch/$name.log" 2>&1; then
    echo "self-check $name: cfn-lint accepted a broken template:" >&2
    diff "$template" "$copy" >&2 || true
    exit 1
  fi
  echo "   $name: rejected as it should be ($(grep -m1 -oE '^E[0-9]{4}' "$scratch/$name.log" || echo error))"
done
# The OCR layer SAM builds from the repository's models/ folder (its Makefile): it must hold the models the
# functions' PAGEWIRE_OCR_MODEL_DIR default points at (/opt/<folder>), checked against their recorded
# hashes, and ONNX Runtime's library for arm64 beside them. The layer's build is run here as SAM runs it.
echo "== the OCR layer's content (models/Makefile: models/ocr + ONNX Runtime for arm64)"
(cd models/ocr && sha256sum --quiet --strict -c SHA256SUMS)
grep -q 'ContentUri: ../models$' "$template"
grep -q 'Default: /opt/ocr$' "$template"
awk '/^  OcrModelLayer:/,/^  [A-Za-z]+Function:/' "$template" | grep -q 'BuildMethod: makefile$'
layer="$scratch/ocr-layer"
(cd models && make -s build-OcrModelLayer ARTIFACTS_DIR="$layer")
for file in det.onnx rec.onnx rec.int8.onnx keys.txt libonnxruntime.so onnxruntime/LICENSE; do
  [ -s "$layer/ocr/$file" ] || { echo "the OCR layer has no ocr/$file" >&2; exit 1; }
done
# An ELF shared object for AArch64 (e_machine 183 at byte 18, little-endian).
[ "$(od -An -tu2 -j18 -N2 "$layer/ocr/libonnxruntime.so" | tr -d ' ')" = 183 ] || {
  echo "the OCR layer's libonnxruntime.so is not an arm64 library" >&2
  exit 1
}
echo "   models/ocr matches SHA256SUMS; OcrModelLayer builds ../models (makefile) into ocr/ with" \
  "libonnxruntime.so for arm64 ($(du -sh "$layer" | cut -f1) unzipped), unpacked at /opt/ocr"
echo "template check passed"
