#!/usr/bin/env bash
# Deploy eduportal to AWS with the Terraform in infrastructure/, then write what the portal
# and `eduportal infra check` read. Run `scripts/deploy.sh --help` for the steps.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
INFRA="$ROOT/infrastructure"
OUT="${DEPLOY_DIR:-$ROOT/.deploy}"
ZIP="$ROOT/build/lambda/eduportal-lambda.zip"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

usage() {
  cat <<'USAGE'
Usage: scripts/deploy.sh [--yes] [--var-file FILE]   deploy or update the stack
       scripts/deploy.sh outputs                      write .deploy/ again from the state
       scripts/deploy.sh destroy [--yes]              tear the stack down

Deploy: terraform init, plan (saved to .deploy/plan.tfplan and shown), apply after you answer
"yes" (or with --yes), then write
  .deploy/outputs.json   every output (`terraform output -json`), read by `eduportal infra check`
  .deploy/eduportal.env  the app_env output as KEY=value lines, the environment the portal reads
and run `eduportal infra check` on the new stack.

Needs: terraform >= 1.6, AWS credentials in the environment (a profile or SSO session), the
Lambda package (`make lambda-zip`; `make deploy` builds it first), and the MongoDB URI stored
once as a SecureString parameter (see README, "Deploying to AWS"). Variables: a FILE of
name = value lines for --var-file (infrastructure/variables.tf lists them).
USAGE
}

die() { echo "deploy: $*" >&2; exit 1; }

action=deploy
auto=false
var_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --yes) auto=true ;;
    --var-file) [ $# -ge 2 ] || die "--var-file needs a file"; var_args+=("-var-file=$(realpath "$2")"); shift ;;
    outputs|destroy) action="$1" ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

command -v terraform >/dev/null || die "terraform is not installed: https://developer.hashicorp.com/terraform/install"
mkdir -p "$OUT"

write_outputs() {
  # Both files are replaced only once the new outputs are known good.
  terraform -chdir="$INFRA" output -json > "$OUT/outputs.json.tmp"
  "$PYTHON" - "$OUT/outputs.json.tmp" "$OUT/eduportal.env.tmp" <<'PY'
import json, sys
outputs = json.load(open(sys.argv[1]))
if "app_env" not in outputs:
    sys.exit("deploy: the state has no outputs yet: deploy first (scripts/deploy.sh)")
env = outputs["app_env"]["value"]
with open(sys.argv[2], "w") as out:
    out.write("# Written by scripts/deploy.sh from the app_env output; MONGODB_URI is not here.\n")
    out.writelines(f"{name}={value}\n" for name, value in sorted(env.items()))
PY
  mv "$OUT/eduportal.env.tmp" "$OUT/eduportal.env"
  mv "$OUT/outputs.json.tmp" "$OUT/outputs.json"
  echo "deploy: wrote $OUT/outputs.json and $OUT/eduportal.env"
}

case "$action" in
  outputs)
    write_outputs
    ;;
  destroy)
    echo "deploy: this deletes the stack. The buckets are versioned: empty them first (README)."
    approve=()
    $auto && approve=(-auto-approve)
    terraform -chdir="$INFRA" destroy "${approve[@]}" "${var_args[@]}"
    rm -f "$OUT/outputs.json" "$OUT/eduportal.env"
    ;;
  deploy)
    [ -f "$ZIP" ] || die "no Lambda package at $ZIP: run \`make lambda-zip\` (or \`make deploy\`)"
    aws_check=$("$PYTHON" -c 'import boto3; print(boto3.client("sts").get_caller_identity()["Account"])' 2>&1) \
      || die "no usable AWS credentials: $aws_check"
    echo "deploy: account $aws_check"
    terraform -chdir="$INFRA" init -input=false
    terraform -chdir="$INFRA" plan -input=false "${var_args[@]}" -out="$OUT/plan.tfplan"
    if ! $auto; then
      read -r -p "Apply this plan? Type yes: " answer
      [ "$answer" = yes ] || die "not applied"
    fi
    terraform -chdir="$INFRA" apply -input=false "$OUT/plan.tfplan"
    write_outputs
    "$ROOT/.venv/bin/eduportal" infra check --outputs "$OUT/outputs.json" || echo "deploy: some checks failed; see above"
    ;;
esac
