#!/usr/bin/env bash
# Deploy the dev stage of the CDK app into a running LocalStack (see docker-compose.yml).
# AppConfig is not in LocalStack's free plan: flags then read as unavailable, which the code
# treats as "off" for every side effect (the safe value).
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=eu-west-1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
make --no-print-directory .venv/.installed-cdk
npx --yes aws-cdk-local@2 bootstrap -c stage=dev
npx --yes aws-cdk-local@2 deploy -c stage=dev --require-approval never
